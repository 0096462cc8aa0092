//! Nemeses: the ways a campaign hurts a cluster, after Jepsen's. Each draws faults for one seed
//! into the scenario's `[[fault]]` schedule, as a person would write them, so that the
//! scenario replays them and the shrinker can take them apart.
//!
//! - **Random faults**, one kind each: `crash`, `partition`, `loss`, `duplicate`, `delay`,
//!   `slow`, `hold`.
//! - **Targeted faults**, chosen to hurt: `crash-leader` (kill whoever leads, Jepsen's "kill the
//!   primary"), `isolate-leader` (cut the leader off with a minority, past an election
//!   timeout), `ring` (Jepsen's
//!   majorities ring: every node sees a majority, no two the same one), `bridge` (two halves
//!   that only one node joins), `storm` (a minority crashes and restarts again and again), and
//!   `skew` (a node's clock runs slow: what it reads and its timers); and `isolate` (one
//!   server cut off past an election timeout, Jepsen's `partition-random-node`), `comeback`
//!   (the leader cut off alone, and its successor crashed as the old one returns),
//!   `bounce-leader` (a minority falls behind the leader, which then crash-restarts at once),
//!   `slow-leader` (`isolate-leader`'s cut, with the leader's clock at half speed) and
//!   `figure8` (the Raft paper's Figure 8: a cut leader, and two leaders in turn whose messages
//!   are held), in no group but `all`.
//! - **Faults that wait for a protocol's moment** ([`synod_sim::Fault::When`], the group
//!   `moments`): `crash-new-leader` (the next node to take the lead dies before its first round
//!   completes), `restart-voter` (the leader is cut off, and when the election starts a server
//!   crashes just after it may have voted, and restarts at once) and `revote` (the leader
//!   crash-restarts, then the first server to vote in the election that follows). Not in the
//!   default swarm: measured, they dilute it (docs/checking.md); Raft's default mix is
//!   `isolate-leader,revote,slow-leader`.
//! - **A protocol's own**, listed in its descriptor's [`crate::protocol::Campaign::nemeses`]
//!   (a Raft membership change, a leadership transfer, Multi-Paxos's leaders split from each
//!   other): drawn the same way, named the same way
//!   on the command line, with the protocol's own `[[fault]]` verbs if it needs them.
//!
//! Targets are resolved when a fault strikes (`crash = "leader"` crashes whoever leads then),
//! through the typed [`synod_core::Leadership`] contract; every fault lasts a while (`for_ms`)
//! and undoes itself, on the nodes it struck, before the fault window ends (a cut is undone by
//! a heal of every link, so one cut's end also ends any other then in force).
//!
//! A campaign draws its faults from a **mix**: a fixed list of nemeses (each fault picks one at
//! random), or **swarm testing** (Groce et al., "Swarm Testing", ISSTA 2012, as TigerBeetle's
//! VOPR does): each seed enables a random subset of the nemeses, with random weights and a random
//! number of faults, so that some seeds hammer one weakness without the others diluting it.

use crate::scenario::{FaultAction, FaultSpec, Moment};
use synod_core::{SimRng, Time};
use synod_sim::On;

/// A way to hurt a cluster: one fault (or a burst of them) per draw.
pub struct Nemesis {
    /// Its name on the command line (`--nemesis crash-leader`).
    pub name: &'static str,
    /// What it does, in one line (the docs and `--nemesis list` show it).
    pub doc: &'static str,
    /// Draw one fault, or one burst of related faults, into `d`.
    pub draw: fn(&mut Draw<'_>),
    /// How many spares it needs ([`Draw::spares`]: servers outside the configuration, for it
    /// to add); 0 for most. Without them it draws nothing, so the swarm, whose seeds draw no
    /// spares, leaves it out, and a campaign of a cluster without enough refuses it alone
    /// ([`missing_spares`]).
    pub spares: usize,
}

impl std::fmt::Debug for Nemesis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nemesis({})", self.name)
    }
}

impl PartialEq for Nemesis {
    fn eq(&self, other: &Nemesis) -> bool {
        self.name == other.name
    }
}

/// What a nemesis draws with: the seed's generator, the servers by name, the fault window,
/// and the schedule it adds to.
pub struct Draw<'a> {
    /// The generator of the seed's fault schedule (not the simulator's).
    pub rng: &'a mut SimRng,
    /// The servers' names (clients are never struck).
    pub servers: &'a [String],
    /// Faults strike in `[0, window)` and are undone by its end.
    pub window: Time,
    /// The longest a single fault lasts.
    pub max_fault: Time,
    /// The network's latency range.
    pub latency: (Time, Time),
    /// The slowest a clock may run, as a factor (2: half speed): what the protocol assumes
    /// of clocks ([`crate::campaign::clock_bound`]). `skew` and `slow-leader` stay within it.
    pub slowest_clock: f64,
    /// How many of `servers`, the last ones, are spares: outside the configuration at the
    /// start, for a nemesis that adds servers (Raft's `cluster.spares`).
    pub spares: usize,
    out: &'a mut Vec<FaultSpec>,
}

impl<'a> Draw<'a> {
    /// A draw into `out`.
    pub fn new(
        rng: &'a mut SimRng,
        servers: &'a [String],
        window: Time,
        max_fault: Time,
        latency: (Time, Time),
        out: &'a mut Vec<FaultSpec>,
    ) -> Draw<'a> {
        Draw {
            rng,
            servers,
            window,
            max_fault,
            latency,
            slowest_clock: 2.0,
            spares: 0,
            out,
        }
    }

    /// A time in the window, uniformly.
    pub fn at(&mut self) -> Time {
        Time::micros(self.rng.below(self.window.as_micros().max(1)))
    }

    /// A time in the window that leaves `span` before its end, uniformly, and not before
    /// [`FIRST_LEADER`]: for a nemesis whose story takes that long to play out and strikes
    /// whoever leads when it starts. (Earlier if the window leaves no room after
    /// `FIRST_LEADER`; anywhere in it if it is shorter than `span`.)
    pub fn at_leaving(&mut self, span: Time) -> Time {
        let room = self.window.as_micros().saturating_sub(span.as_micros());
        if room == 0 {
            return self.at();
        }
        let from = FIRST_LEADER.as_micros();
        if room <= from {
            return Time::micros(self.rng.below(room));
        }
        Time::micros(from + self.rng.below(room - from))
    }

    /// How long a fault striking at `at` lasts: log-uniform from 1 ms to the longest (many
    /// short faults, a crash and a quick restart inside one election, and some long ones),
    /// and over by the end of the window.
    pub fn lasts(&mut self, at: Time) -> Time {
        let max = self.max_fault.as_micros().max(1_000) as f64;
        let d = Time::micros((1_000.0 * (max / 1_000.0).powf(self.rng.unit())).round() as u64);
        // Over strictly before the window ends: an undoing at the same instant as the final
        // repair would come after it.
        d.min(self.until_end(at))
    }

    /// The most a fault striking at `at` may last: until 1 us before the window ends.
    fn until_end(&self, at: Time) -> Time {
        let left = self.window.as_micros().saturating_sub(at.as_micros());
        Time::micros(left.saturating_sub(1).max(1))
    }

    /// 200 to 800 ms from `at` (less when the fault window ends first): longer than an
    /// election timeout, so that the servers cut off from a leader elect another, as a Jepsen
    /// nemesis's partitions (seconds long) always let them.
    pub fn past_an_election(&mut self, at: Time) -> Time {
        Time::ms(200 + self.rng.below(600)).min(self.until_end(at))
    }

    /// A server, uniformly.
    pub fn server(&mut self) -> String {
        let i = self.rng.below(self.servers.len().max(1) as u64) as usize;
        self.servers.get(i).cloned().unwrap_or_default()
    }

    /// The servers in a random order.
    pub fn shuffled(&mut self) -> Vec<String> {
        let mut v = self.servers.to_vec();
        for i in (1..v.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
        v
    }

    /// The size of a minority of the servers (at least 1).
    pub fn minority(&self) -> usize {
        ((self.servers.len().saturating_sub(1)) / 2).max(1)
    }

    /// Add a fault at `at`, undone after `lasts` (if given).
    pub fn push(&mut self, at: Time, action: FaultAction, lasts: Option<Time>) {
        self.out.push(FaultSpec {
            lasts,
            ..FaultSpec::new(at, action)
        });
    }

    /// The faults drawn so far for this seed.
    pub fn drawn(&self) -> &[FaultSpec] {
        self.out
    }

    /// The spares: the last [`Draw::spares`] servers.
    pub fn spare_names(&self) -> &[String] {
        &self.servers[self.servers.len() - self.spares.min(self.servers.len())..]
    }

    /// Arm a fault at `at` that waits for `moment` and strikes then, with no undoing of its
    /// own (a heal, an order, or a fault the final repair ends). Only inside the window.
    pub fn push_when_for_good(&mut self, at: Time, moment: Moment, action: FaultAction) {
        if at >= self.window {
            return;
        }
        self.out.push(FaultSpec {
            when: Some(moment),
            ..FaultSpec::new(at, action)
        });
    }

    /// Arm a fault at `at` that waits for `on` (for `within`, if given) and strikes `after`
    /// it, undone after `lasts`. Only inside the window: the final repair disarms what waits,
    /// and nothing may be armed after it (it would strike in the liveness period).
    pub fn push_when(&mut self, at: Time, moment: Moment, action: FaultAction, lasts: Time) {
        if at >= self.window {
            return;
        }
        self.out.push(FaultSpec {
            lasts: Some(lasts),
            when: Some(moment),
            ..FaultSpec::new(at, action)
        });
    }

    /// A time from 0 to `k` times the network's longest latency, uniformly: a moment inside
    /// the first rounds of messages after something happens.
    pub fn within_rounds(&mut self, k: u64) -> Time {
        let span = self.latency.1.as_micros().max(1) * k;
        Time::micros(self.rng.below(span))
    }

    /// Add a fault at a random time, lasting a random while: what most nemeses do.
    pub fn strike(&mut self, action: FaultAction) {
        let at = self.at();
        let d = self.lasts(at);
        self.push(at, action, Some(d));
    }
}

/// A probability of 5 to 35 %, rounded to a percent.
fn burst(rng: &mut SimRng) -> f64 {
    ((0.05 + 0.3 * rng.unit()) * 100.0).round() / 100.0
}

fn crash(d: &mut Draw<'_>) {
    let n = d.server();
    d.strike(FaultAction::Crash(n));
}

fn partition(d: &mut Draw<'_>) {
    let mut a = Vec::new();
    let mut b = Vec::new();
    let servers = d.servers;
    for s in servers.iter().cloned() {
        if d.rng.chance(0.5) {
            a.push(s);
        } else {
            b.push(s);
        }
    }
    if !a.is_empty() && !b.is_empty() {
        d.strike(FaultAction::Partition(vec![a, b]));
    }
}

fn loss(d: &mut Draw<'_>) {
    let p = burst(d.rng);
    d.strike(FaultAction::Loss(p));
}

fn duplicate(d: &mut Draw<'_>) {
    let p = burst(d.rng);
    d.strike(FaultAction::Duplicate(p));
}

fn delay(d: &mut Draw<'_>) {
    let (lo, hi) = d.latency;
    let hi = hi.scale(1.0 + 9.0 * d.rng.unit());
    d.strike(FaultAction::Latency(lo, hi));
}

fn slow(d: &mut Draw<'_>) {
    let n = d.server();
    let factor = (2.0 + 8.0 * d.rng.unit()).round();
    d.strike(FaultAction::Slow(n, factor));
}

fn hold(d: &mut Draw<'_>) {
    let n = d.server();
    d.strike(FaultAction::Hold(n));
}

fn crash_leader(d: &mut Draw<'_>) {
    d.strike(FaultAction::Crash("leader".into()));
}

/// The leader and up to a minority less one of the others on one side, every other server on
/// the other, for 200 to 800 ms: the leader keeps a minority and loses the majority long
/// enough for the majority to elect another, and comes back, perhaps still leading, perhaps
/// with entries nobody else has. (With a duration drawn as most nemeses draw it, log-uniform
/// from 1 ms, five cuts in six ended before an election timeout, and Raft's
/// `no-consistency-check` failed 45 seeds of 200 under `isolate-leader` alone, against 137.)
fn isolate_leader(d: &mut Draw<'_>) {
    cut_leader_off(d);
}

/// `isolate-leader`'s cut, drawn into `d`: when it strikes, and for how long.
fn cut_leader_off(d: &mut Draw<'_>) -> (Time, Time) {
    let k = d.rng.below(d.minority() as u64) as usize;
    let mut side = vec!["leader".to_string()];
    side.extend(d.shuffled().into_iter().take(k));
    let at = d.at();
    let lasts = d.past_an_election(at);
    d.push(
        at,
        FaultAction::Partition(vec![side, vec!["*".into()]]),
        Some(lasts),
    );
    (at, lasts)
}

fn ring(d: &mut Draw<'_>) {
    if d.servers.len() >= 4 {
        let order = d.shuffled();
        d.strike(FaultAction::Ring(order));
    }
}

/// One random server is cut off from every other for 200 to 800 ms, longer than an election
/// timeout (Jepsen's `partition-random-node`; less when the fault window ends first): it falls behind, and may time out and raise
/// its term, before it comes back and answers, votes or campaigns with what it has.
fn isolate(d: &mut Draw<'_>) {
    let n = d.server();
    let at = d.at();
    let lasts = d.past_an_election(at);
    d.push(at, cut_off(n), Some(lasts));
}

/// The leader is cut off alone past an election timeout, the clients still reaching it; 20-100
/// ms after another takes the lead, that successor crashes, and it stays down until after the
/// cut heals. The old leader comes back with what it took from clients alone, and the others
/// must choose between its log and the successor's in an election the successor misses: what
/// a VR view change's last-normal view decides (Viewstamped Replication Revisited, 4.2), and
/// Raft's up-to-date check (5.4.1).
fn comeback(d: &mut Draw<'_>) {
    let at = d.at();
    let cut = d.past_an_election(at);
    d.push(at, cut_off("leader".into()), Some(cut));
    let after = Time::micros(20_000 + d.rng.below(80_001));
    // It strikes by `at + cut + after` at the latest, and is over before the window ends.
    let down = (cut + d.past_an_election(at)).min(d.until_end(at + cut + after));
    let moment = Moment {
        on: On::Leads,
        after,
        within: Some(cut),
    };
    d.push_when(at, moment, FaultAction::Crash("leader".into()), down);
}

/// A minority of the servers falls behind the leader: its messages to them are cut, one way,
/// for 20-100 ms, while the rest keep up and let it commit; then, as the cut heals, the leader
/// crashes and restarts at once (within 1 ms). It comes back to a cluster whose next leader
/// may be one of the laggards, and asks it for what it lost: a VR replica recovering without a
/// disk takes its state from the primary of the latest view (Viewstamped Replication
/// Revisited, 4.3), a Raft server finds its term passed. With the leader's messages cut to one
/// random server only (measured, docs/checking.md), a laggard is the next primary less often.
/// The minority is drawn before anyone knows who will lead: when the leader is one of it, its
/// cut to itself does nothing (the network never cuts a node from itself), and one fewer falls
/// behind.
fn bounce_leader(d: &mut Draw<'_>) {
    let at = d.at();
    let cut = Time::micros(20_000 + d.rng.below(80_001)).min(d.until_end(at));
    let behind: Vec<String> = d.shuffled().into_iter().take(d.minority()).collect();
    d.push(
        at,
        FaultAction::OneWay(vec!["leader".into()], behind),
        Some(cut),
    );
    let down = Time::micros(1 + d.rng.below(1_000));
    let back = at + cut;
    if back < d.window {
        d.push(
            back,
            FaultAction::Crash("leader".into()),
            Some(down.min(d.until_end(back))),
        );
    }
}

/// When a story may start ([`Draw::at_leaving`]): once the cluster's first leader is elected,
/// so that "whoever leads" names someone. A story's cluster elects it after an election timeout
/// of the paper's 150-300 ms and a round of votes. Drawn from the start of the window, a story
/// could strike before any leader and do nothing: measured, Raft's two stories then ended in
/// their bugs on 80 seeds in 100 that told them, and from 500 ms on 84 and 88
/// (docs/checking.md, "Choosing the default").
pub const FIRST_LEADER: Time = Time::ms(500);

/// How long a `figure8` story takes to play out at most: the cut (800 ms), the next leader
/// found (600 ms) and held (1.4 s).
pub const FIGURE8_SPAN: Time = Time::ms(2_800);

/// The schedule of the Raft paper's Figure 8, drawn to strike whoever leads then. The leader
/// is cut off with as many servers as leave it a minority, for 350-800 ms, and takes entries
/// from clients that the majority never sees; the cut strikes early enough in the window for
/// the whole story (2.8 s at most) to play, and not before the first leader
/// ([`FIRST_LEADER`]). The first server granted a vote after the cut has
/// its messages held at once (its vote requests are out, its votes on their way, and a held
/// server still receives; under PreVote too, since a pre-vote is no vote), so that it wins and
/// tells no one: it holds entries of a newer term that no one else has. The cut heals; the old
/// leader may win again and catch the others up, and a few rounds into its term (2 to 4
/// message delays) its messages are held too, before its own first entry reaches a majority.
/// The first is held for the cut's length and 400-800 ms more, so it is let go 400-800 ms
/// after the heal plus the time it took to win a vote after the cut (about an election
/// timeout), and may win with the votes of those the second caught up: the entries the second
/// leader put on a majority then are overwritten, which is why an entry of an older term is
/// not committed by counting its copies (section 5.4.2). Measured on the section-5 cluster,
/// one story in a five-second window ends so in 80 seeds in 100 (docs/checking.md). Holds,
/// not crashes: a crashed server's messages already on the wire still arrive, a held one's
/// wait, and three servers cannot lose two to crashes at once. The servers kept beside the
/// leader are drawn before anyone knows who will lead: when the leader is one of them, one
/// fewer is kept (as in `bounce-leader`); and under CheckQuorum the cut-off leader may step
/// down and be the first granted a vote itself (by a server kept beside it). Such draws miss
/// the story, harmlessly.
fn figure8(d: &mut Draw<'_>) {
    let k = d.minority() - 1;
    let kept: Vec<String> = d.shuffled().into_iter().take(k).collect();
    let mut side = vec!["leader".to_string()];
    side.extend(kept.iter().cloned());
    let at = d.at_leaving(FIGURE8_SPAN);
    let cut = Time::ms(350 + d.rng.below(450)).min(d.until_end(at));
    d.push(
        at,
        FaultAction::Partition(vec![side, vec!["*".into()]]),
        Some(cut),
    );
    let heal = at + cut;
    // The first to seek the lead after the cut, held for the cut's length and 400-800 ms
    // more (the hold's length counts from its strike, which comes after the cut began). It
    // is held at the first vote it is granted: its vote requests are out, its votes on their
    // way (a held server still receives), and what it sends once it wins waits. Under
    // PreVote too, since a pre-vote is no vote.
    let release = Time::ms(400 + d.rng.below(400));
    let held = (cut + release).min(d.until_end(heal));
    let moment = Moment {
        on: On::Votes,
        after: Time::ZERO,
        within: Some(cut),
    };
    d.push_when(at, moment, FaultAction::Hold("seeker".into()), held);
    // The next to take the lead after the heal, held a few rounds into its term until the
    // first has had time to win.
    let wait = Time::ms(600);
    // Two rounds' worth of the longest latency, then up to two more (`within_rounds`).
    let two_rounds = Time::micros(2 * d.latency.1.as_micros().max(1));
    let after = two_rounds + d.within_rounds(2);
    let held = (release + Time::ms(600)).min(d.until_end(heal + wait + after));
    let moment = Moment {
        on: On::Leads,
        after,
        within: Some(wait),
    };
    d.push_when(heal, moment, FaultAction::Hold("leader".into()), held);
    for n in kept {
        d.push_when(heal, moment, FaultAction::Hold(n), held);
    }
}

/// `node` (a name, or `leader`) cut off from every other server.
fn cut_off(node: String) -> FaultAction {
    FaultAction::Partition(vec![vec![node], vec!["*".into()]])
}

/// Two halves that cannot talk, and one node, in neither, that talks to both (Jepsen's
/// bridge).
fn bridge(d: &mut Draw<'_>) {
    let mut order = d.shuffled();
    if order.len() < 3 {
        return;
    }
    order.remove(0); // the bridge: in no group, it keeps every link
    let half = order.len() / 2;
    let b = order.split_off(half);
    d.strike(FaultAction::Partition(vec![order, b]));
}

/// A minority of the servers crashes and restarts again and again for a while: 3 to 8 short
/// crashes (up to 20 ms each) within up to 300 ms.
fn storm(d: &mut Draw<'_>) {
    let size = 1 + d.rng.below(d.minority() as u64) as usize;
    let who: Vec<String> = d.shuffled().into_iter().take(size).collect();
    let start = d.at();
    let span = (d.window - start).min(Time::ms(300));
    let n = 3 + d.rng.below(6);
    for _ in 0..n {
        let at = start + Time::micros(d.rng.below(span.as_micros().max(1)));
        let node = who[d.rng.below(who.len() as u64) as usize].clone();
        let short = Time::micros(500 + d.rng.below(19_500));
        let lasts = short.min(d.until_end(at));
        d.push(at, FaultAction::Crash(node), Some(lasts));
    }
}

/// Armed at a random time, the next node to take the lead crashes within two message rounds
/// of winning, before its first round completes, and restarts a while later: a new leader's
/// first entries reach a minority, or none, and a later leader must sort them out (Raft's
/// Figure 8, a Paxos leader dying between its phases).
fn crash_new_leader(d: &mut Draw<'_>) {
    let at = d.at();
    let after = d.within_rounds(2);
    let lasts = d.lasts(at);
    let moment = Moment {
        on: On::Leads,
        after,
        within: None,
    };
    d.push_when(at, moment, FaultAction::Crash("leader".into()), lasts);
}

/// The leader is cut off at a random time, and when a node next starts an election a random
/// server crashes within three message rounds, after it may have voted or promised, and
/// restarts at once (0.5-5 ms later), in time to answer the election's later requests, or a
/// rival's: what it keeps on disk is all that stops it from voting twice.
fn restart_voter(d: &mut Draw<'_>) {
    let at = d.at();
    let lasts = d.lasts(at);
    // The leader is cut off rather than crashed: the voter's crash is then the only one, as
    // a campaign that keeps a majority up allows on three servers.
    d.push(at, cut_off("leader".into()), Some(lasts));
    let after = d.within_rounds(3);
    let who = d.server();
    let down = Time::micros(500 + d.rng.below(4_500));
    let moment = Moment {
        on: On::Seeks,
        after,
        within: None,
    };
    d.push_when(at, moment, FaultAction::Crash(who), down);
}

/// How long a fault that waits for a vote waits: past two election timeouts of the paper's
/// 150-300 ms, so that the election that follows the fault comes within it. The wait is
/// bounded so that a campaign knows when the crash may be in force, and keeps a majority up
/// ([`crate::campaign`]).
const WAIT_FOR_VOTE: Time = Time::ms(600);

/// The leader crashes and restarts at once (0.5-3 ms later): every server is now a follower
/// of the same term with no leader, their election timers near one another, so the election
/// that follows is often contested. The first server to give its vote in it (a Raft vote, a
/// Paxos promise, a VR `DoViewChange`) crashes within half a millisecond of answering, its
/// answer already on the wire, and restarts 0.2-3 ms later: back before a rival candidate's
/// request reaches it. What it kept on disk (Raft's `votedFor`, an acceptor's promise) is all
/// that stops it from voting twice in one term.
fn revote(d: &mut Draw<'_>) {
    let at = d.at();
    let down = Time::micros(500 + d.rng.below(2_500)).min(d.until_end(at));
    d.push(at, FaultAction::Crash("leader".into()), Some(down));
    let after = Time::micros(d.rng.below(500));
    let voter_down = Time::micros(200 + d.rng.below(2_800));
    // Armed as the leader restarts.
    let moment = Moment {
        on: On::Votes,
        after,
        within: Some(WAIT_FOR_VOTE),
    };
    let voter = FaultAction::Crash("voter".into());
    d.push_when(at + down, moment, voter, voter_down);
}

/// A node's clock runs slow, 1 to 2 times (what it reads and its timers, [`synod_sim::Fault::Skew`]):
/// never fast, so that any two clocks, even two skewed at once, stay within a drift of 100%,
/// what Raft's lease reads assume by default (`timing.clock_drift_percent`), and never slower
/// than a smaller drift a scenario states ([`Draw::slowest_clock`]). A campaign that broke a
/// protocol's stated clock assumption would report bugs that are not there.
fn skew(d: &mut Draw<'_>) {
    let n = d.server();
    let factor = ((1.0 + d.rng.unit() * (d.slowest_clock - 1.0)) * 100.0).round() / 100.0;
    d.strike(FaultAction::Skew(n, factor));
}

/// The clock of a leader cut off from its majority runs at half speed: whatever it measures
/// on its own clock (a lease, a timeout) lasts twice as long as the others measure it, while
/// they elect another leader. Half speed is the slowest the clock assumption allows (as `skew`,
/// never fast: any two clocks stay within a drift of 100%, what Raft's lease reads assume by
/// default; a scenario that states a smaller drift gets that: [`Draw::slowest_clock`]), so a
/// correct lease still ends before the others may vote, and one that does not keep the drift
/// margin is met with its widest window. The cut is `isolate-leader`'s.
fn slow_leader(d: &mut Draw<'_>) {
    let (at, lasts) = cut_leader_off(d);
    let factor = d.slowest_clock;
    d.push(at, FaultAction::Skew("leader".into(), factor), Some(lasts));
}

/// The nemeses every protocol has, in the order `--nemesis list` shows them.
pub const NEMESES: &[Nemesis] = &[
    Nemesis {
        name: "crash",
        doc: "a random server crashes, keeping only its durable state, and restarts",
        draw: crash,
        spares: 0,
    },
    Nemesis {
        name: "partition",
        doc: "the servers are split in two at random",
        draw: partition,
        spares: 0,
    },
    Nemesis {
        name: "loss",
        doc: "a burst of 5-35% message loss",
        draw: loss,
        spares: 0,
    },
    Nemesis {
        name: "duplicate",
        doc: "a burst of 5-35% duplication",
        draw: duplicate,
        spares: 0,
    },
    Nemesis {
        name: "delay",
        doc: "a burst of wider latency (up to 10x the maximum), so messages reorder more",
        draw: delay,
        spares: 0,
    },
    Nemesis {
        name: "slow",
        doc: "a random server's messages take 2-10x longer",
        draw: slow,
        spares: 0,
    },
    Nemesis {
        name: "hold",
        doc: "a random server's outgoing messages are held, then released in order",
        draw: hold,
        spares: 0,
    },
    Nemesis {
        name: "crash-leader",
        doc: "whoever leads when it strikes crashes, and restarts",
        draw: crash_leader,
        spares: 0,
    },
    Nemesis {
        name: "isolate-leader",
        doc: "whoever leads is cut off from a majority for 200-800 ms (past an election timeout), keeping a minority with it",
        draw: isolate_leader,
        spares: 0,
    },
    Nemesis {
        name: "slow-leader",
        doc: "whoever leads is cut off from a majority for 200-800 ms, keeping a minority, and its clock runs at half speed meanwhile (the slowest a drift of 100% allows)",
        draw: slow_leader,
        spares: 0,
    },
    Nemesis {
        name: "isolate",
        doc: "a random server is cut off from every other for 200-800 ms, longer than an election timeout",
        draw: isolate,
        spares: 0,
    },
    Nemesis {
        name: "comeback",
        doc: "the leader is cut off alone for 200-800 ms; 20-100 ms after a successor takes the lead, the successor crashes until after the cut heals, and the old leader comes back with what it took alone",
        draw: comeback,
        spares: 0,
    },
    Nemesis {
        name: "bounce-leader",
        doc: "the leader's messages to a minority are cut one way for 20-100 ms (they fall behind); then the leader crashes and restarts at once",
        draw: bounce_leader,
        spares: 0,
    },
    Nemesis {
        name: "figure8",
        doc: "Raft's Figure 8 as faults: the leader is cut off with a minority; the first granted a vote is held at once, and wins telling no one; the old leader returns, wins, and is held a few rounds into its term; the first is let go",
        draw: figure8,
        spares: 0,
    },
    Nemesis {
        name: "ring",
        doc: "a majority ring: every server sees a majority, no two the same one",
        draw: ring,
        spares: 0,
    },
    Nemesis {
        name: "bridge",
        doc: "two halves that cannot talk, joined by one server that talks to both",
        draw: bridge,
        spares: 0,
    },
    Nemesis {
        name: "storm",
        doc: "a minority crashes and restarts 3-8 times within 300 ms",
        draw: storm,
        spares: 0,
    },
    Nemesis {
        name: "skew",
        doc: "a random server's clock runs slow, up to twice (never fast: clocks stay within a drift of 100%)",
        draw: skew,
        spares: 0,
    },
    Nemesis {
        name: "crash-new-leader",
        doc: "the next node to take the lead crashes before its first round completes, and restarts",
        draw: crash_new_leader,
        spares: 0,
    },
    Nemesis {
        name: "restart-voter",
        doc: "the leader is cut off; when the election starts, a server crashes just after it may have voted, and restarts at once",
        draw: restart_voter,
        spares: 0,
    },
    Nemesis {
        name: "revote",
        doc: "the leader crashes and restarts at once; in the election that follows, the first server to vote crashes as it answers, and restarts at once",
        draw: revote,
        spares: 0,
    },
];

/// The random faults of one kind each (synod's first campaigns).
pub const CLASSIC: &[&str] = &[
    "crash",
    "partition",
    "loss",
    "duplicate",
    "delay",
    "slow",
    "hold",
];

/// The faults chosen to hurt.
pub const TARGETED: &[&str] = &[
    "crash-leader",
    "isolate-leader",
    "ring",
    "bridge",
    "storm",
    "skew",
];

/// The faults that wait for a protocol's moment ([`synod_sim::Fault::When`]).
pub const MOMENTS: &[&str] = &["crash-new-leader", "restart-voter", "revote"];

/// The nemeses of `mix` that need more spares than a cluster's `spares` ([`Nemesis::spares`]),
/// each with a sentence saying so: they draw nothing there.
pub fn missing_spares(mix: &Mix, spares: usize) -> Vec<(&'static str, String)> {
    mix.pool()
        .iter()
        .filter(|n| spares < n.spares)
        .map(|n| {
            let need = n.spares;
            let why = format!(
                "`{}` needs {need} spares (`cluster.spares = {need}`: servers outside the configuration for it to add), and this cluster has {spares}, so it draws nothing; Raft's default campaign tells it as a story on four servers and two spares",
                n.name
            );
            (n.name, why)
        })
        .collect()
}

/// How a campaign picks nemeses.
#[derive(Clone, Debug, PartialEq)]
pub enum Mix {
    /// Every fault picks one of these, uniformly.
    Fixed(Vec<&'static Nemesis>),
    /// Swarm testing: each seed enables a random non-empty subset of these, each with a
    /// random weight (1 to 3), and draws 1 to `2 * intensity - 1` faults (as many on average).
    Swarm(Vec<&'static Nemesis>),
}

impl Mix {
    /// The nemeses it draws from.
    pub fn pool(&self) -> &[&'static Nemesis] {
        match self {
            Mix::Fixed(v) | Mix::Swarm(v) => v,
        }
    }

    /// How it is written on the command line: the names, or `swarm:` and the names.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.pool().iter().map(|n| n.name).collect();
        match self {
            Mix::Fixed(_) => names.join(","),
            Mix::Swarm(_) => format!("swarm:{}", names.join(",")),
        }
    }

    /// Draw the faults of one seed: `intensity` of them (swarm: a random number around it),
    /// each from a nemesis of the mix, into `d`'s schedule.
    pub fn draw(&self, d: &mut Draw<'_>, intensity: u32) {
        match self {
            Mix::Fixed(pool) => {
                if pool.is_empty() {
                    return;
                }
                for _ in 0..intensity {
                    let n = pool[d.rng.below(pool.len() as u64) as usize];
                    (n.draw)(d);
                }
            }
            Mix::Swarm(pool) => {
                if pool.is_empty() || intensity == 0 {
                    return;
                }
                let mut on: Vec<(&Nemesis, u64)> = Vec::new();
                while on.is_empty() {
                    for n in pool {
                        if d.rng.chance(0.5) {
                            on.push((n, 1 + d.rng.below(3)));
                        }
                    }
                }
                let total: u64 = on.iter().map(|(_, w)| w).sum();
                let count = 1 + d.rng.below(2 * u64::from(intensity) - 1);
                for _ in 0..count {
                    let mut roll = d.rng.below(total);
                    let mut pick = on[0].0;
                    for (n, w) in &on {
                        if roll < *w {
                            pick = n;
                            break;
                        }
                        roll -= w;
                    }
                    (pick.draw)(d);
                }
            }
        }
    }
}

/// Every nemesis a protocol's campaigns may use: the built-in ones, then its own.
pub fn available(own: &'static [Nemesis]) -> impl Iterator<Item = &'static Nemesis> {
    NEMESES.iter().chain(own.iter())
}

/// Parse `--nemesis`: `swarm` (swarm testing of the classic, targeted and the protocol's own
/// nemeses, but those that need spares, [`Nemesis::spares`]), `all`, `classic`, `targeted`, `moments`, `own`, a comma-separated list of names
/// and those groups, or `swarm:LIST`. `own` are the protocol's own nemeses. (`restart` is
/// accepted and ignored: every crash restarts.)
pub fn parse(spec: &str, own: &'static [Nemesis]) -> Result<Mix, String> {
    let (swarm, list) = match spec.trim() {
        // The moments are left out of the default: measured, they dilute the swarm
        // (docs/checking.md, "Faults that wait for a moment").
        "swarm" => (true, "classic,targeted,own"),
        s => match s.strip_prefix("swarm:") {
            Some(rest) => (true, rest),
            None => (false, s),
        },
    };
    let find = |name: &str| available(own).find(|n| n.name == name);
    let mut pool: Vec<&'static Nemesis> = Vec::new();
    let mut add = |n: &'static Nemesis| {
        if !pool.contains(&n) {
            pool.push(n);
        }
    };
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let group: Option<Vec<&'static str>> = match name {
            "all" => Some(available(own).map(|n| n.name).collect()),
            "classic" => Some(CLASSIC.to_vec()),
            "targeted" => Some(TARGETED.to_vec()),
            "moments" => Some(MOMENTS.to_vec()),
            "own" => Some(own.iter().map(|n| n.name).collect()),
            "restart" => Some(Vec::new()),
            _ => None,
        };
        match group {
            Some(names) => names.iter().filter_map(|n| find(n)).for_each(&mut add),
            None => match find(name) {
                Some(n) => add(n),
                None => {
                    let valid: Vec<&str> = available(own).map(|n| n.name).collect();
                    return Err(format!(
                        "unknown nemesis `{name}` (valid: {}; groups: all, classic, targeted, moments, own; or swarm, swarm:LIST)",
                        valid.join(", ")
                    ));
                }
            },
        }
    }
    if pool.is_empty() {
        let valid: Vec<&str> = available(own).map(|n| n.name).collect();
        return Err(format!(
            "give at least one nemesis (valid: {}; groups: all, classic, targeted, moments, own; or swarm)",
            valid.join(", ")
        ));
    }
    if spec.trim() == "swarm" {
        pool.retain(|n| n.spares == 0);
    }
    Ok(if swarm {
        Mix::Swarm(pool)
    } else {
        Mix::Fixed(pool)
    })
}

/// " (except overlap)": the protocol's own nemeses the swarm leaves out, for `--nemesis list`.
fn own_out_of_swarm(own: &[Nemesis]) -> String {
    let out: Vec<&str> = own
        .iter()
        .filter(|n| n.spares > 0)
        .map(|n| n.name)
        .collect();
    if out.is_empty() {
        String::new()
    } else {
        format!(" (except {})", out.join(", "))
    }
}

/// `--nemesis list`: one line per nemesis, name and what it does, then the groups, and the
/// protocol's own default mix (`default`).
pub fn listing(own: &'static [Nemesis], default: &str) -> String {
    let width = available(own).map(|n| n.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for n in available(own) {
        out.push_str(&format!("{:<width$}  {}\n", n.name, n.doc));
    }
    let own_names: Vec<&str> = own.iter().map(|n| n.name).collect();
    let groups = [
        ("classic", CLASSIC.join(",")),
        ("targeted", TARGETED.join(",")),
        ("moments", MOMENTS.join(",")),
        ("own", own_names.join(",")),
        ("all", "every nemesis above, in a fixed mix".to_string()),
        (
            "swarm",
            format!(
                "classic, targeted and own{}; each seed enables a random subset at random weights and intensity",
                own_out_of_swarm(own)
            ),
        ),
        ("default", format!("this protocol's campaign: {default}")),
    ];
    for (name, what) in groups {
        if !what.is_empty() {
            out.push_str(&format!("{name:<width$}  {what}\n"));
        }
    }
    out
}
