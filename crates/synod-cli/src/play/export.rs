//! A played game as one self-contained HTML file: the page, its style and script inlined, and
//! the game recorded as frames (the state the server would answer at each moment). It opens
//! from `file://` or any static host and replays the game with no server: play, pause, step,
//! scrub. Playing a different game needs `synod play` (the simulation runs in Rust).

use super::game::{Game, parse_script};
use super::server::{PAGE, SCRIPT, STYLE};
use serde_json::{Value as Json, json};
use synod_core::Time;

/// At most this many frames: a long game is sampled more coarsely, so the file stays small.
pub const MAX_FRAMES: u64 = 5000;

/// The recorded game: `{info, end_ms, frames: [{t, state}]}`, where each frame's state has the
/// events since the frame before, and omits `nodes` when they did not change.
pub fn frames(game: &Game) -> Result<Json, String> {
    let inputs = parse_script(&game.script())?;
    let mut g = Game::new(game.spec().clone(), &inputs, Some(Time::ZERO))?;
    let end = g.end();
    // At 1x the page draws about 10 frames a (wall) second.
    let every = Time::ms_f64(100.0 * g.time_scale())
        .max(Time::micros(end.as_micros() / MAX_FRAMES))
        .max(Time::micros(1));
    let mut out = Vec::new();
    let mut state = g.update(0);
    let mut last_nodes = Json::Null;
    loop {
        let cursor = state["cursor"].as_u64().unwrap_or(0) as usize;
        let t = g.now();
        if let Some(obj) = state.as_object_mut() {
            obj.remove("script");
            let nodes = obj.remove("nodes").unwrap_or(Json::Null);
            if nodes != last_nodes {
                obj.insert("nodes".into(), nodes.clone());
                last_nodes = nodes;
            }
        }
        out.push(json!({"t": t.as_ms_f64(), "state": state}));
        if t >= end || g.over() {
            break;
        }
        let next = g.next_time().unwrap_or(end);
        let target = next
            .max(Time::micros(t.as_micros() + every.as_micros()))
            .min(end);
        g.run_until(target)?;
        state = g.update(cursor);
    }
    Ok(json!({"info": g.info(), "end_ms": end.as_ms_f64(), "frames": out}))
}

/// The self-contained replay page of `game`.
pub fn html(game: &Game) -> Result<String, String> {
    let data = frames(game)?.to_string().replace("</", "<\\/");
    let style = r#"<link rel="stylesheet" href="/play.css">"#;
    let script = r#"<script src="/play.js"></script>"#;
    if !PAGE.contains(style) || !PAGE.contains(script) {
        return Err("the page does not link its style and script as expected".into());
    }
    Ok(PAGE
        .replace(style, &format!("<style>\n{STYLE}\n</style>"))
        .replace(
            script,
            &format!(
                "<script>window.SYNOD_REPLAY = {data};</script>\n<script>\n{SCRIPT}\n</script>"
            ),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::play::game::{Proto, Spec};

    #[test]
    fn the_page_inlines_safely() {
        assert!(!STYLE.contains("</style"));
        assert!(!SCRIPT.contains("</script"));
    }

    #[test]
    fn a_won_game_exports_to_frames_that_end_in_its_violation() {
        let spec = Spec {
            proto: Proto::Paxos,
            nodes: 3,
            broken: true,
            seed: 7,
            scenario: None,
        };
        let mut g = Game::new(spec, &[], None).unwrap();
        crate::play::game::tests::win_against_broken_paxos(&mut g);
        let won = g.update(0);
        assert_eq!(won["safety"]["holds"], false);
        let f = frames(&g).unwrap();
        let frames = f["frames"].as_array().unwrap();
        assert!(frames.len() > 20 && frames.len() < 2000, "{}", frames.len());
        let last = &frames.last().unwrap()["state"];
        assert_eq!(last["safety"], won["safety"]);
        assert_eq!(last["now_ms"], won["now_ms"]);
        // The frames' events, put together, are the game's.
        let events: Vec<&Json> = frames
            .iter()
            .flat_map(|fr| fr["state"]["events"].as_array().unwrap())
            .collect();
        let all: Vec<&Json> = won["events"].as_array().unwrap().iter().collect();
        assert_eq!(events, all);
        let page = html(&g).unwrap();
        assert!(page.contains("window.SYNOD_REPLAY = {"));
        assert!(!page.contains("href=\"/play.css\"") && !page.contains("src=\"/play.js\""));
    }
}
