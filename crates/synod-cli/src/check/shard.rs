//! Which slice of a campaign this process runs: `--shard K/N`, or, when it is not given, what
//! the batch system says: a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, 0-based, with
//! `--shards N`, the Job's `completions`), or a Slurm job array (`SLURM_ARRAY_TASK_ID`,
//! `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_STEP`, `SLURM_ARRAY_TASK_COUNT`).

use crate::UsageError;

/// The shard (1-based `k` of `n`) and where it came from (`None`: no sharding asked for).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 1.
    pub k: u64,
    /// Of how many.
    pub n: u64,
    /// `--shard`, `JOB_COMPLETION_INDEX`, `SLURM_ARRAY_TASK_ID`, or empty for none.
    pub source: &'static str,
}

fn parse_flag(s: &str) -> Result<(u64, u64), UsageError> {
    let bad = || {
        UsageError(format!(
            "--shard `{s}`: expected K/N with 1 <= K <= N, as 2/8"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Work out the shard from `--shard`, `--shards` and the environment (`env` reads a variable:
/// the real environment, or a test's).
pub fn resolve(
    flag: Option<&str>,
    shards: Option<u64>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Shard, UsageError> {
    if let Some(s) = flag {
        let (k, n) = parse_flag(s)?;
        return Ok(Shard {
            k,
            n,
            source: "--shard",
        });
    }
    let number = |name: &str| -> Result<Option<u64>, UsageError> {
        match env(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                UsageError(format!(
                    "{name}={v:?} in the environment is not a whole number"
                ))
            }),
        }
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let count = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            UsageError(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give --shard K/N"
                    .into(),
            )
        })?;
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let k = id
            .checked_sub(min)
            .map(|d| d / step + 1)
            .filter(|k| (1..=count).contains(k))
            .ok_or_else(|| {
                UsageError(format!(
                    "SLURM_ARRAY_TASK_ID {id} is not one of the {count} tasks from {min} in steps of {step}"
                ))
            })?;
        if shards.is_some_and(|n| n != count) {
            return Err(UsageError(format!(
                "--shards {} disagrees with SLURM_ARRAY_TASK_COUNT {count}",
                shards.unwrap_or(0)
            )));
        }
        return Ok(Shard {
            k,
            n: count,
            source: "SLURM_ARRAY_TASK_ID",
        });
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let n = shards.ok_or_else(|| {
            UsageError(
                "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give --shards N, the Job's completions"
                    .into(),
            )
        })?;
        if index >= n {
            return Err(UsageError(format!(
                "JOB_COMPLETION_INDEX {index} is not below --shards {n}"
            )));
        }
        return Ok(Shard {
            k: index + 1,
            n,
            source: "JOB_COMPLETION_INDEX",
        });
    }
    if let Some(n) = shards {
        return Err(UsageError(format!(
            "--shards {n} needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID in the environment; or give --shard K/{n}"
        )));
    }
    Ok(Shard {
        k: 1,
        n: 1,
        source: "",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        let s = resolve(Some("2/8"), None, env(&[("JOB_COMPLETION_INDEX", "5")])).unwrap();
        assert_eq!((s.k, s.n, s.source), (2, 8, "--shard"));
    }

    #[test]
    fn a_kubernetes_index_is_0_based_and_needs_the_count() {
        let s = resolve(None, Some(4), env(&[("JOB_COMPLETION_INDEX", "0")])).unwrap();
        assert_eq!((s.k, s.n), (1, 4));
        let s = resolve(None, Some(4), env(&[("JOB_COMPLETION_INDEX", "3")])).unwrap();
        assert_eq!((s.k, s.n), (4, 4));
        let e = resolve(None, None, env(&[("JOB_COMPLETION_INDEX", "3")])).unwrap_err();
        assert!(e.0.contains("give --shards N"), "{e}");
        let e = resolve(None, Some(4), env(&[("JOB_COMPLETION_INDEX", "4")])).unwrap_err();
        assert!(e.0.contains("not below --shards 4"), "{e}");
    }

    #[test]
    fn a_slurm_array_gives_index_and_count_with_its_min_and_step() {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        let s = resolve(None, None, env(&vars)).unwrap();
        assert_eq!((s.k, s.n, s.source), (1, 8, "SLURM_ARRAY_TASK_ID"));
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(resolve(None, None, env(&vars)).unwrap().k, 4);
        let e = resolve(None, None, env(&[("SLURM_ARRAY_TASK_ID", "x")])).unwrap_err();
        assert!(e.0.contains("not a whole number"), "{e}");
    }

    #[test]
    fn nothing_set_is_one_shard_and_shards_alone_is_refused() {
        assert_eq!(resolve(None, None, env(&[])).unwrap().n, 1);
        assert!(resolve(None, Some(3), env(&[])).is_err());
    }
}
