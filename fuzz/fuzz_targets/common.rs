//! What the targets share: the configuration the functions would read at a cold start, and
//! structure-aware inputs. Random bytes are almost never JSON, so the event targets read
//! their input as instructions instead: which fixture to start from, then a few edits to it
//! (a field replaced by a value of any type, removed, or a new one added), the way real
//! events turn out irregular.
#![allow(dead_code)] // each target uses part of this

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use phoenix_shared::Config;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::OnceLock;

pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::from_lookup(|key| match key {
            "PHOENIX_ALERT_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:123456789012:alerts".into()),
            "PHOENIX_FINDINGS_TABLE" => Some("findings".into()),
            "PHOENIX_ENVIRONMENT" => Some("fuzz".into()),
            "AWS_REGION" => Some("eu-west-1".into()),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("fuzz configuration: {e}"))
    })
}

/// The JSON fixtures of these functions, read on first use (each target is a binary of its
/// own and asks for one set).
pub fn seeds(functions: &[&str]) -> &'static [Value] {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    SEEDS.get_or_init(|| fixtures(functions))
}

fn fixtures(functions: &[&str]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for function in functions {
        let dir = root.join("functions").join(function).join("fixtures");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Ok(value) = serde_json::from_str(&text) {
                out.push(value);
            }
        }
    }
    out
}

/// Strings that real events carry in odd places.
const STRINGS: &[&str] = &[
    "",
    "{}",
    "null",
    "2026-11-21T03:41:10Z",
    "2026-11-21 03:41:10",
    "1795316700",
    "1795316700123",
    "21/11/2026",
    "-1",
    "1e308",
    "NaN",
    "arn:aws:s3:::",
    "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/",
    "%2F%E2%82%AC+key",
    "Permanently Deleted",
    "FAILED",
    "Suspended",
];

fn value(u: &mut Unstructured, depth: u32) -> Result<Value> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        4 => Value::from(u.arbitrary::<u64>()?),
        5 => Value::String(u.arbitrary()?),
        6 | 7 => Value::String((*u.choose(STRINGS)?).to_owned()),
        8 if depth < 3 => {
            let n = u.int_in_range(0..=3)?;
            Value::Array((0..n).map(|_| value(u, depth + 1)).collect::<Result<_>>()?)
        }
        _ if depth < 3 => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=2)? {
                map.insert(u.arbitrary()?, value(u, depth + 1)?);
            }
            Value::Object(map)
        }
        _ => Value::Object(Map::new()),
    })
}

/// Every place in `v` a value sits, as a list of keys and indexes.
fn places(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                at.push(Value::String(k.clone()));
                out.push(at.clone());
                places(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Value::from(i));
                out.push(at.clone());
                places(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn parent<'a>(v: &'a mut Value, place: &[Value]) -> Option<&'a mut Value> {
    let mut here = v;
    for step in place {
        here = match (here, step) {
            (Value::Object(map), Value::String(k)) => map.get_mut(k)?,
            (Value::Array(items), Value::Number(i)) => {
                items.get_mut(usize::try_from(i.as_u64()?).ok()?)?
            }
            _ => return None,
        };
    }
    Some(here)
}

/// A fixture with up to eight edits, chosen by the fuzzer's bytes.
pub fn edited(u: &mut Unstructured, seeds: &[Value]) -> Result<Value> {
    let mut event = u.choose(seeds)?.clone();
    for _ in 0..u.int_in_range(0..=8)? {
        let mut all = Vec::new();
        places(&event, &mut Vec::new(), &mut all);
        if all.is_empty() {
            event = value(u, 0)?;
            continue;
        }
        let place = u.choose(&all)?.clone();
        let (last, up) = place
            .split_last()
            .map_or((None, &place[..0]), |(l, u)| (Some(l), u));
        let edit = u.int_in_range(0..=5u8)?;
        let new = value(u, 1)?;
        let Some(container) = parent(&mut event, up) else {
            continue;
        };
        match (container, last, edit) {
            (Value::Object(map), Some(Value::String(k)), 0) => {
                map.remove(k);
            }
            (Value::Object(map), Some(Value::String(_)), 1) => {
                map.insert(u.arbitrary()?, new);
            }
            (Value::Array(items), Some(_), 0) => {
                items.clear();
            }
            (container, Some(step), _) => {
                if let Some(slot) = parent(container, std::slice::from_ref(step)) {
                    *slot = new;
                }
            }
            _ => {}
        }
    }
    Ok(event)
}
