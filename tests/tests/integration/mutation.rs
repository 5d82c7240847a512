//! Property-test support for the functions' event readers: every value at every path of an event, replaced in turn by what real and
//! hostile events put where something else was expected.

use serde_json::{Value, json};

/// Values found (or feared) in place of the expected ones.
pub fn hostile() -> Vec<Value> {
    vec![
        Value::Null,
        json!({}),
        json!([]),
        json!(""),
        json!("   "),
        json!(0),
        json!(-1),
        json!(1e308),
        json!("NaN"),
        json!("arn:"),
        json!("arn:aws:s3:::"),
        json!("%E9%ZZ+%"),
        json!("é\u{0}\"\\"),
        json!("Nov 31, 2026 25:61:00 PM"),
        json!(true),
        json!([{"ARN": {}}, null, 3]),
        json!({"Status": {"Status": []}}),
        json!("{\"Records\": [{\"Sns\": {\"Message\": \"{}\"}}]}"),
        json!("x".repeat(5000)),
    ]
}

/// The path of every node of `v` (keys and array indices), the root's (empty) first.
pub(crate) fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                prefix.push(json!(k));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(json!(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |node, step| match step {
        Value::String(k) => node.get_mut(k.as_str()),
        other => node.get_mut(usize::try_from(other.as_u64()?).ok()?),
    })
}

/// Every variant of `event` with one value (or the whole event) replaced by a hostile one,
/// with the path replaced.
pub fn mutations(event: &Value) -> Vec<(Vec<Value>, Value)> {
    let mut all = Vec::new();
    paths(event, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in all {
        for value in hostile() {
            let mut mutated = event.clone();
            if let Some(slot) = at_path(&mut mutated, &path) {
                *slot = value;
                out.push((path.clone(), mutated));
            }
        }
    }
    out
}
