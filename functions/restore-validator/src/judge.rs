//! Whether a restored resource holds what its recovery point did: pure, over the facts
//! [`crate::read`] gathers.
//!
//! | type | passes when |
//! |---|---|
//! | EFS | the file system is `available` and holds at least (100 − tolerance)% of the recovery point's bytes |
//! | RDS | the instance is `available`, with the source's engine and major version and at least its allocated storage |
//! | Aurora | the cluster is `available`, with the source's engine and major version |
//! | DynamoDB | the table is `ACTIVE`; a recovery point with bytes in it restores to a table with items, and, once DynamoDB has counted it, at least (100 − tolerance)% of the bytes |
//! | S3 | the bucket holds at least (100 − tolerance)% of the recovery point's bytes |
//!
//! The tolerance is `PHOENIX_RESTORE_SIZE_TOLERANCE_PERCENT` (10 by default). A restored
//! resource larger than its recovery point passes: a restore cannot invent data, and file
//! system metadata and index overhead make restored copies a little larger. A source that
//! no longer exists leaves engine and storage uncompared, and the message says so.

use std::fmt::Write as _;

/// A restored resource as its service describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    FileSystem {
        state: String,
        bytes: i64,
    },
    Instance {
        status: String,
        engine: Engine,
    },
    Cluster {
        status: String,
        engine: Engine,
    },
    Table {
        status: String,
        items: i64,
        bytes: i64,
    },
    Bucket {
        objects: u64,
        bytes: i64,
    },
}

/// A database's engine, version and allocated storage (GiB; 0 where the engine has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    pub engine: String,
    pub version: String,
    pub storage_gib: i64,
}

/// The judgement of one restore test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub valid: bool,
    /// What was compared, in words, for `ValidationStatusMessage` and the finding.
    pub message: String,
}

impl Verdict {
    fn pass(message: String) -> Self {
        Self {
            valid: true,
            message,
        }
    }
    fn fail(message: String) -> Self {
        Self {
            valid: false,
            message,
        }
    }
}

/// The major version the way each engine counts it: PostgreSQL 10 and later by the first
/// number (`16.3` → `16`), every other engine by the first two (`8.0.35` → `8.0`,
/// `10.11.6` → `10.11`); Aurora's own versions follow their engine's.
pub fn major_version(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    let postgres = engine.contains("postgres");
    let first_number = parts
        .first()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(0);
    if postgres && first_number >= 10 {
        parts.first().copied().unwrap_or_default().to_owned()
    } else {
        parts.iter().take(2).copied().collect::<Vec<_>>().join(".")
    }
}

/// Bytes in the unit a person reads.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Whether `restored` bytes are enough of `expected` (at most `tolerance` percent fewer).
fn enough(restored: i64, expected: i64, tolerance: u64) -> bool {
    let keep = 100_i128 - i128::from(tolerance.min(100));
    i128::from(restored) * 100 >= i128::from(expected) * keep
}

fn size_verdict(what: &str, restored: i64, expected: Option<i64>, tolerance: u64) -> Verdict {
    match expected {
        Some(expected) if expected > 0 && !enough(restored, expected, tolerance) => {
            let missing = 100 - (i128::from(restored) * 100 / i128::from(expected));
            Verdict::fail(format!(
                "the restored {what} holds {} of the recovery point's {} ({missing}% less; at most {tolerance}% less passes)",
                human_bytes(restored),
                human_bytes(expected)
            ))
        }
        Some(expected) => Verdict::pass(format!(
            "the restored {what} holds {} (recovery point {})",
            human_bytes(restored),
            human_bytes(expected)
        )),
        None => Verdict::pass(format!(
            "the restored {what} holds {} (the recovery point states no size to compare)",
            human_bytes(restored)
        )),
    }
}

fn engine_verdict(kind: &str, restored: &Engine, source: Option<&Engine>) -> Verdict {
    let Some(source) = source else {
        return Verdict::pass(format!(
            "the restored {kind} is available ({} {}); its source no longer exists, so engine and storage were not compared",
            restored.engine, restored.version
        ));
    };
    if !restored.engine.eq_ignore_ascii_case(&source.engine) {
        return Verdict::fail(format!(
            "the restored {kind} runs {} where its source runs {}",
            restored.engine, source.engine
        ));
    }
    let (got, want) = (
        major_version(&restored.engine, &restored.version),
        major_version(&source.engine, &source.version),
    );
    if got != want {
        return Verdict::fail(format!(
            "the restored {kind} runs {} {} where its source runs {} (major version {got} against {want})",
            restored.engine, restored.version, source.version
        ));
    }
    if restored.storage_gib < source.storage_gib {
        return Verdict::fail(format!(
            "the restored {kind} has {} GiB of storage where its source has {} GiB",
            restored.storage_gib, source.storage_gib
        ));
    }
    let mut message = format!(
        "the restored {kind} is available, {} {} like its source",
        restored.engine, restored.version
    );
    if source.storage_gib > 0 {
        let _ = write!(
            message,
            ", {} GiB of storage (source {} GiB)",
            restored.storage_gib, source.storage_gib
        );
    }
    Verdict::pass(message)
}

/// Judges a restored resource against its recovery point's size (`point_bytes`) and, for a
/// database, its source's engine (`source`).
pub fn judge(
    restored: &Restored,
    point_bytes: Option<i64>,
    source: Option<&Engine>,
    tolerance: u64,
) -> Verdict {
    match restored {
        Restored::FileSystem { state, .. } if state != "available" => Verdict::fail(format!(
            "the restored file system is {state}, not available"
        )),
        Restored::FileSystem { bytes, .. } => {
            size_verdict("file system", *bytes, point_bytes, tolerance)
        }
        Restored::Instance { status, .. } if status != "available" => Verdict::fail(format!(
            "the restored DB instance is {status}, not available"
        )),
        Restored::Instance { engine, .. } => engine_verdict("DB instance", engine, source),
        Restored::Cluster { status, .. } if status != "available" => Verdict::fail(format!(
            "the restored DB cluster is {status}, not available"
        )),
        Restored::Cluster { engine, .. } => engine_verdict(
            "DB cluster",
            // Aurora storage grows on demand: there is no allocated size to compare.
            &Engine {
                storage_gib: 0,
                ..engine.clone()
            },
            source
                .map(|s| Engine {
                    storage_gib: 0,
                    ..s.clone()
                })
                .as_ref(),
        ),
        Restored::Table { status, .. } if status != "ACTIVE" => {
            Verdict::fail(format!("the restored table is {status}, not ACTIVE"))
        }
        Restored::Table { items, bytes, .. } => match point_bytes {
            Some(expected) if expected > 0 && *items == 0 && *bytes == 0 => Verdict::fail(format!(
                "the restored table is empty where the recovery point holds {}",
                human_bytes(expected)
            )),
            // DynamoDB refreshes a table's size about every six hours: a fresh table may
            // show items before it shows bytes.
            _ if *bytes == 0 => Verdict::pass(format!(
                "the restored table is ACTIVE with {items} items (its size is not counted yet)"
            )),
            _ => {
                let mut v = size_verdict("table", *bytes, point_bytes, tolerance);
                let _ = write!(v.message, ", {items} items");
                v
            }
        },
        Restored::Bucket { objects, bytes } => {
            let mut v = size_verdict("bucket", *bytes, point_bytes, tolerance);
            let _ = write!(v.message, " in {objects} objects");
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs(bytes: i64) -> Restored {
        Restored::FileSystem {
            state: "available".to_owned(),
            bytes,
        }
    }

    fn pg(version: &str, storage: i64) -> Engine {
        Engine {
            engine: "postgres".to_owned(),
            version: version.to_owned(),
            storage_gib: storage,
        }
    }

    #[test]
    fn a_file_system_passes_within_the_tolerance_and_fails_below_it() {
        let gib = 1 << 30;
        assert!(judge(&fs(gib), Some(gib), None, 10).valid);
        let giga = 1_000_000_000;
        assert!(
            judge(&fs(900_000_000), Some(giga), None, 10).valid,
            "exactly 10% less"
        );
        assert!(!judge(&fs(899_999_999), Some(giga), None, 10).valid);
        assert!(judge(&fs(gib * 2), Some(gib), None, 10).valid);
        let empty = judge(&fs(6144), Some(2 * gib), None, 10);
        assert!(!empty.valid);
        assert_eq!(
            empty.message,
            "the restored file system holds 6.0 KiB of the recovery point's 2.0 GiB (100% less; at most 10% less passes)"
        );
        assert!(!judge(&fs(gib * 89 / 100), Some(gib), None, 10).valid);
        assert!(
            judge(&fs(0), Some(gib), None, 100).valid,
            "100% accepts all"
        );
        assert!(judge(&fs(0), Some(0), None, 0).valid, "an empty backup");
        let creating = Restored::FileSystem {
            state: "creating".to_owned(),
            bytes: gib,
        };
        assert!(!judge(&creating, Some(gib), None, 10).valid);
    }

    #[test]
    fn a_database_keeps_its_engine_major_version_and_storage() {
        let db = |version: &str, storage| Restored::Instance {
            status: "available".to_owned(),
            engine: pg(version, storage),
        };
        assert!(judge(&db("16.4", 50), None, Some(&pg("16.3", 50)), 10).valid);
        let older = judge(&db("15.7", 50), None, Some(&pg("16.3", 50)), 10);
        assert!(!older.valid);
        assert!(
            older.message.contains("major version 15 against 16"),
            "{}",
            older.message
        );
        let small = judge(&db("16.3", 20), None, Some(&pg("16.3", 50)), 10);
        assert_eq!(
            small.message,
            "the restored DB instance has 20 GiB of storage where its source has 50 GiB"
        );
        let gone = judge(&db("16.3", 20), None, None, 10);
        assert!(gone.valid && gone.message.contains("no longer exists"));
        let mysql = Engine {
            engine: "mysql".to_owned(),
            version: "8.0.35".to_owned(),
            storage_gib: 20,
        };
        let restored = Restored::Instance {
            status: "available".to_owned(),
            engine: Engine {
                version: "8.4.3".to_owned(),
                ..mysql.clone()
            },
        };
        assert!(!judge(&restored, None, Some(&mysql), 10).valid);
        let stopped = Restored::Instance {
            status: "storage-full".to_owned(),
            engine: pg("16.3", 50),
        };
        assert!(!judge(&stopped, None, Some(&pg("16.3", 50)), 10).valid);
    }

    #[test]
    fn major_versions_count_as_each_engine_does() {
        assert_eq!(major_version("postgres", "16.3"), "16");
        assert_eq!(major_version("aurora-postgresql", "15.4"), "15");
        assert_eq!(major_version("postgres", "9.6.24"), "9.6");
        assert_eq!(major_version("mysql", "8.0.35"), "8.0");
        assert_eq!(
            major_version("aurora-mysql", "8.0.mysql_aurora.3.05.2"),
            "8.0"
        );
        assert_eq!(major_version("mariadb", "10.11.6"), "10.11");
    }

    #[test]
    fn an_aurora_cluster_compares_no_storage() {
        let cluster = Restored::Cluster {
            status: "available".to_owned(),
            engine: Engine {
                engine: "aurora-postgresql".to_owned(),
                version: "15.4".to_owned(),
                storage_gib: 1,
            },
        };
        let source = Engine {
            engine: "aurora-postgresql".to_owned(),
            version: "15.2".to_owned(),
            storage_gib: 100,
        };
        assert!(judge(&cluster, None, Some(&source), 10).valid);
    }

    #[test]
    fn a_table_restored_empty_fails_and_an_uncounted_one_passes_on_its_items() {
        let table = |items, bytes| Restored::Table {
            status: "ACTIVE".to_owned(),
            items,
            bytes,
        };
        assert!(!judge(&table(0, 0), Some(4096), None, 10).valid);
        assert!(judge(&table(0, 0), Some(0), None, 10).valid);
        assert!(judge(&table(12, 0), Some(4096), None, 10).valid);
        assert!(!judge(&table(12, 1000), Some(4096), None, 10).valid);
        assert!(judge(&table(12, 4000), Some(4096), None, 10).valid);
    }

    #[test]
    fn a_bucket_names_its_objects() {
        let v = judge(
            &Restored::Bucket {
                objects: 3,
                bytes: 3 << 20,
            },
            Some(3 << 20),
            None,
            10,
        );
        assert_eq!(
            v.message,
            "the restored bucket holds 3.0 MiB (recovery point 3.0 MiB) in 3 objects"
        );
    }
}
