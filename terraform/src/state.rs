//! Terraform state: what a new version of a `.tfstate` file destroyed or re-keyed.
//!
//! A state file can be tens of megabytes. It is never held whole: its bytes are streamed
//! chunk by chunk ([`crate::Streaming`]) into a parser running on a blocking thread, and the parser
//! keeps only what the comparison needs (per resource instance: its address, its identity,
//! and a SHA-256 of generated secret values). Values are compared by hash and never logged.

use phoenix_shared::Config;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::marker::PhantomData;

/// The ending of the object keys read as Terraform state.
pub const STATE_SUFFIX: &str = ".tfstate";

/// Whether an object key is a Terraform state file (`terraform.tfstate`,
/// `env:/prod/app.tfstate`), not a lock or a backup.
pub fn is_state_key(key: &str) -> bool {
    key.ends_with(STATE_SUFFIX)
}

/// Terraform resource types whose disappearance means a data store was destroyed, with the
/// resource type name findings use.
pub const PROTECTED_TYPES: &[(&str, &str)] = &[
    ("aws_efs_file_system", "EFS"),
    ("aws_db_instance", "RDS"),
    ("aws_rds_cluster", "Aurora"),
    ("aws_s3_bucket", "S3"),
    ("aws_backup_vault", "BackupVault"),
    ("aws_kms_key", "KMSKey"),
    ("aws_secretsmanager_secret", "Secret"),
    ("aws_dynamodb_table", "DynamoDB"),
];

/// Resource types that generate a secret value, and the attributes holding it.
pub const GENERATOR_TYPES: &[(&str, &[&str])] = &[
    ("random_password", &["result"]),
    ("random_string", &["result"]),
    ("random_id", &["b64_std", "hex", "id"]),
    ("random_bytes", &["base64"]),
    (
        "tls_private_key",
        &["private_key_pem", "private_key_openssh"],
    ),
];

pub const SECRET_VERSION_TYPE: &str = "aws_secretsmanager_secret_version";

/// A data store in the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub address: String,
    /// `EFS`, `RDS`, …
    pub kind: &'static str,
    /// Its ARN when the state has one, else its id.
    pub identity: String,
}

/// A generated secret value (or a Secrets Manager secret version) in the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub resource_type: String,
    pub name: String,
    /// SHA-256 of the value, hex. The value itself is dropped while parsing.
    pub digest: String,
    /// For a secret version: the secret's id (its ARN).
    pub secret_id: Option<String>,
    /// Addresses this instance depends on.
    pub dependencies: Vec<String>,
}

/// What the comparison needs from one state file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub serial: Option<u64>,
    pub lineage: Option<String>,
    /// Managed resource instances in the file.
    pub instances: usize,
    /// Data stores by identity.
    pub stores: BTreeMap<String, Store>,
    /// Generated values and secret versions by address.
    pub generated: BTreeMap<String, Generated>,
}

/// What changed between two versions of a state file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub destroyed: Vec<Store>,
    /// `(address, what it is, why it counts as an encryption key)`.
    pub rekeyed: Vec<(String, Generated, String)>,
}

// The subset of the state format (version 4) the comparison reads; everything else is
// skipped by the parser without being built. Resources are summarized one at a time as the
// parser reaches them ([`StateSeed`]), so only the summary grows with the file.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResource {
    #[serde(deserialize_with = "lenient_string")]
    module: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    mode: Option<String>,
    #[serde(rename = "type", deserialize_with = "lenient_string")]
    kind: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(deserialize_with = "lenient_list")]
    instances: Vec<RawInstance>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawInstance {
    index_key: Option<Value>,
    attributes: Option<Lenient<RawAttributes>>,
    #[serde(deserialize_with = "string_list")]
    dependencies: Vec<String>,
}

/// Only the attributes any rule reads; the rest (often most of the file) are skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAttributes {
    id: Option<Value>,
    arn: Option<Value>,
    result: Option<Value>,
    b64_std: Option<Value>,
    hex: Option<Value>,
    base64: Option<Value>,
    private_key_pem: Option<Value>,
    private_key_openssh: Option<Value>,
    secret_string: Option<Value>,
    secret_binary: Option<Value>,
    version_id: Option<Value>,
    secret_id: Option<Value>,
}

impl RawAttributes {
    fn get(&self, name: &str) -> Option<&Value> {
        match name {
            "id" => self.id.as_ref(),
            "arn" => self.arn.as_ref(),
            "result" => self.result.as_ref(),
            "b64_std" => self.b64_std.as_ref(),
            "hex" => self.hex.as_ref(),
            "base64" => self.base64.as_ref(),
            "private_key_pem" => self.private_key_pem.as_ref(),
            "private_key_openssh" => self.private_key_openssh.as_ref(),
            "secret_string" => self.secret_string.as_ref(),
            "secret_binary" => self.secret_binary.as_ref(),
            "version_id" => self.version_id.as_ref(),
            "secret_id" => self.secret_id.as_ref(),
            _ => None,
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn lenient_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A list, or nothing when the value is something else (`null`, `{}`); items that are not
/// objects become defaults rather than failing the whole file. Streams: nothing is buffered.
fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    struct ListVisitor<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(Lenient(item)) = seq.next_element::<Lenient<T>>()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_str<E>(self, _: &str) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(ListVisitor(PhantomData))
}

/// An object read as `T`, or `T::default()` for anything that is not an object.
struct Lenient<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ItemVisitor<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Lenient)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(T::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
            fn visit_unit<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::default()))
            }
        }
        d.deserialize_any(ItemVisitor(PhantomData))
    }
}

impl<T: Default> Default for Lenient<T> {
    fn default() -> Self {
        Self(T::default())
    }
}

/// The strings of a list (dependencies); anything else is no list.
fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

pub(crate) fn address(
    module: Option<&str>,
    kind: &str,
    name: &str,
    index: Option<&Value>,
) -> String {
    let mut out = String::new();
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push('.');
    }
    out.push_str(kind);
    out.push('.');
    out.push_str(name);
    match index {
        Some(Value::Number(n)) => out.push_str(&format!("[{n}]")),
        Some(Value::String(s)) => out.push_str(&format!("[{s:?}]")),
        _ => {}
    }
    out
}

fn digest(parts: &[Option<String>]) -> Option<String> {
    if parts.iter().all(Option::is_none) {
        return None;
    }
    let mut hasher = Sha256::new();
    for part in parts {
        // A separator no value contains keeps ("ab", "c") apart from ("a", "bc").
        hasher.update(part.as_deref().unwrap_or("").as_bytes());
        hasher.update([0u8]);
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Reads the top-level object into a [`Summary`], resource by resource.
struct StateSeed<'a>(&'a mut Summary);

impl<'de> serde::de::DeserializeSeed<'de> for StateSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StateSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Terraform state object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "serial" => self.0.serial = map.next_value::<Lenient64>()?.0,
                "lineage" => self.0.lineage = map.next_value::<LenientText>()?.0,
                "resources" => map.next_value_seed(ResourcesSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ResourcesSeed<'a>(&'a mut Summary);

impl<'de> serde::de::DeserializeSeed<'de> for ResourcesSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Lenient(resource)) = seq.next_element::<Lenient<RawResource>>()? {
            add_resource(self.0, resource);
        }
        Ok(())
    }
    crate::ignore_map!('de, ());
    crate::ignore_scalars!(());
}

struct Lenient64(Option<u64>);

impl<'de> Deserialize<'de> for Lenient64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_u64(d).map(Self)
    }
}

struct LenientText(Option<String>);

impl<'de> Deserialize<'de> for LenientText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_string(d).map(Self)
    }
}

fn add_resource(summary: &mut Summary, resource: RawResource) {
    {
        if resource.mode.as_deref().is_some_and(|m| m != "managed") {
            return;
        }
        let (Some(kind), Some(name)) = (resource.kind, resource.name) else {
            return;
        };
        let protected = PROTECTED_TYPES.iter().find(|(t, _)| *t == kind);
        let generator = GENERATOR_TYPES.iter().find(|(t, _)| *t == kind);
        for instance in resource.instances {
            summary.instances += 1;
            let Some(Lenient(attributes)) = instance.attributes else {
                continue;
            };
            let at = address(
                resource.module.as_deref(),
                &kind,
                &name,
                instance.index_key.as_ref(),
            );
            let dependencies = instance.dependencies;
            if let Some((_, label)) = protected
                && let Some(identity) = attributes.text("arn").or_else(|| attributes.text("id"))
            {
                summary.stores.insert(
                    identity.clone(),
                    Store {
                        address: at.clone(),
                        kind: label,
                        identity,
                    },
                );
            }
            let value = if let Some((_, fields)) = generator {
                digest(
                    &fields
                        .iter()
                        .map(|f| attributes.text(f))
                        .collect::<Vec<_>>(),
                )
            } else if kind == SECRET_VERSION_TYPE {
                digest(&[
                    attributes.text("secret_string"),
                    attributes.text("secret_binary"),
                    attributes.text("version_id"),
                ])
            } else {
                None
            };
            if let Some(digest) = value {
                summary.generated.insert(
                    at,
                    Generated {
                        resource_type: kind.clone(),
                        name: name.clone(),
                        digest,
                        // The version's `arn` is its secret's full ARN, the one key
                        // protection-guard's finding on the secret uses; `secret_id` is
                        // whatever the configuration wrote (a name, a partial ARN).
                        secret_id: (kind == SECRET_VERSION_TYPE)
                            .then(|| {
                                attributes
                                    .text("arn")
                                    .filter(|a| phoenix_shared::arn::is_full_secret_arn(a))
                                    .or_else(|| attributes.text("secret_id"))
                            })
                            .flatten(),
                        dependencies,
                    },
                );
            }
        }
    }
}

/// Why a state file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

/// Parses a state file from a reader (the streaming path feeds it chunk by chunk).
pub fn summarize_reader(reader: impl Read) -> Result<Summary, Unusable> {
    let reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let mut summary = Summary::default();
    let mut parser = serde_json::Deserializer::from_reader(reader);
    serde::de::DeserializeSeed::deserialize(StateSeed(&mut summary), &mut parser)
        .and_then(|()| parser.end())
        .map_err(|e| Unusable(format!("not valid Terraform state JSON: {e}")))?;
    Ok(summary)
}

/// Parses a state file held in memory (tests, small files).
pub fn summarize_bytes(bytes: &[u8]) -> Result<Summary, Unusable> {
    summarize_reader(bytes)
}

/// Whether a generated value feeds an encryption key, and why.
fn key_reason(
    address: &str,
    generated: &Generated,
    new: &Summary,
    config: &Config,
) -> Option<String> {
    if generated.resource_type == SECRET_VERSION_TYPE {
        if let Some(secret) = &generated.secret_id
            && config.is_configured_key_secret(secret)
        {
            return Some(format!("it is a version of encryption-key secret {secret}"));
        }
        return config
            .is_key_resource_name(&generated.name)
            .then(|| format!("its name `{}` marks an encryption key", generated.name));
    }
    if config.is_key_resource_name(&generated.name) {
        return Some(format!(
            "its name `{}` marks an encryption key",
            generated.name
        ));
    }
    new.generated.iter().find_map(|(other, g)| {
        let feeds = g.resource_type == SECRET_VERSION_TYPE
            && g.dependencies.iter().any(|d| d == address)
            && g.secret_id
                .as_deref()
                .is_some_and(|s| config.is_configured_key_secret(s));
        feeds.then(|| format!("it feeds {other}, a version of an encryption-key secret"))
    })
}

/// Compares two versions of one state file.
pub fn compare(previous: &Summary, new: &Summary, config: &Config) -> Changes {
    let mut changes = Changes::default();
    for (identity, store) in &previous.stores {
        if !new.stores.contains_key(identity) {
            changes.destroyed.push(store.clone());
        }
    }
    let mut rekeyed_generators = BTreeSet::new();
    // Generators first, so a secret version re-keyed because its generator changed is reported
    // once, on the generator.
    let mut order: Vec<(&String, &Generated)> = new.generated.iter().collect();
    order.sort_by_key(|(_, g)| g.resource_type == SECRET_VERSION_TYPE);
    for (address, generated) in order {
        let Some(before) = previous.generated.get(address) else {
            continue;
        };
        if before.digest == generated.digest {
            continue;
        }
        if generated.resource_type == SECRET_VERSION_TYPE
            && generated
                .dependencies
                .iter()
                .any(|d| rekeyed_generators.contains(d))
        {
            continue;
        }
        if let Some(why) = key_reason(address, generated, new, config) {
            rekeyed_generators.insert(address.clone());
            changes
                .rekeyed
                .push((address.clone(), generated.clone(), why));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Config {
        Config::from_lookup(|name| match name {
            "PHOENIX_ALERT_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:1:t".to_owned()),
            "PHOENIX_FINDINGS_TABLE" => Some("t-1".to_owned()),
            "PHOENIX_ENCRYPTION_KEY_SECRETS" => Some("*bookstack-app*".to_owned()),
            _ => None,
        })
        .expect("config")
    }

    fn state(resources: Value) -> Summary {
        summarize_bytes(
            json!({"version": 4, "serial": "7", "lineage": "abc", "resources": resources})
                .to_string()
                .as_bytes(),
        )
        .expect("state")
    }

    fn efs(id: &str) -> Value {
        json!({"mode": "managed", "type": "aws_efs_file_system", "name": "zulip", "module": "module.zulip",
               "instances": [{"attributes": {"id": id, "arn": format!("arn:aws:elasticfilesystem:eu-west-1:1:file-system/{id}"), "tags": {"a": "b"}}}]})
    }

    #[test]
    fn a_replaced_or_removed_data_store_is_destroyed_and_a_moved_one_is_not() {
        let before = state(
            json!([efs("fs-1"), {"mode": "data", "type": "aws_efs_file_system", "name": "x", "instances": [{"attributes": {"id": "fs-9"}}]}]),
        );
        assert_eq!(before.serial, Some(7));
        assert_eq!(before.stores.len(), 1, "data sources are not managed");
        let replaced = state(json!([efs("fs-2")]));
        let changes = compare(&before, &replaced, &config());
        assert_eq!(changes.destroyed.len(), 1);
        assert_eq!(
            changes.destroyed[0].address,
            "module.zulip.aws_efs_file_system.zulip"
        );
        assert_eq!(changes.destroyed[0].kind, "EFS");

        let mut moved = efs("fs-1");
        moved["module"] = json!("module.storage");
        assert!(
            compare(&before, &state(json!([moved])), &config())
                .destroyed
                .is_empty()
        );
    }

    #[test]
    fn regenerated_keys_count_by_name_or_by_the_secret_they_feed() {
        let gen_ = |name: &str, value: &str| {
            json!({"mode": "managed", "type": "random_password", "name": name,
            "instances": [{"attributes": {"result": value, "id": "none"}}]})
        };
        let version = |value: &str| {
            json!({"mode": "managed", "type": "aws_secretsmanager_secret_version", "name": "app",
            "instances": [{"attributes": {"secret_id": "arn:aws:secretsmanager:eu-west-1:1:secret:bookstack-app-Ab12", "secret_string": value, "version_id": "v"},
                           "dependencies": ["random_password.app"]}]})
        };
        let before = state(json!([
            gen_("master_key", "old"),
            gen_("admin_password", "old"),
            gen_("app", "a1"),
            version("a1")
        ]));
        let after = state(json!([
            gen_("master_key", "new"),
            gen_("admin_password", "new"),
            gen_("app", "a2"),
            version("a2")
        ]));
        let changes = compare(&before, &after, &config());
        let addresses: Vec<&str> = changes.rekeyed.iter().map(|(a, _, _)| a.as_str()).collect();
        assert_eq!(
            addresses,
            ["random_password.app", "random_password.master_key"]
        );
        assert!(
            changes.rekeyed[0]
                .2
                .contains("aws_secretsmanager_secret_version.app")
        );
        assert!(compare(&before, &before, &config()).rekeyed.is_empty());
    }

    #[test]
    fn irregular_state_is_read_leniently_and_garbage_is_unusable() {
        let s = summarize_bytes(br#"{"serial": {}, "resources": [1, {"type": "aws_db_instance", "name": "z", "instances": {}}, {"type": "aws_db_instance", "name": "db", "instances": [{"attributes": {"id": 5}}, null]}]}"#)
            .expect("lenient");
        assert_eq!(s.serial, None);
        assert_eq!(s.stores.keys().collect::<Vec<_>>(), ["5"]);
        assert!(summarize_bytes(b"{\"resources\": [").is_err());
        assert!(summarize_bytes(b"<html>").is_err());
        assert_eq!(summarize_bytes(b"{}").expect("empty").instances, 0);
    }
}

#[cfg(test)]
mod secret_names {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_secret_version_named_by_name_is_keyed_on_its_secrets_full_arn() {
        let full = "arn:aws:secretsmanager:eu-west-1:1:secret:zitadel-master-key-Ab12Cd";
        let state = json!({"version": 4, "serial": 1, "resources": [
            {"mode": "managed", "type": "aws_secretsmanager_secret_version", "name": "key",
             "instances": [{"attributes": {"secret_id": "zitadel-master-key", "arn": full,
                                            "secret_string": "v", "version_id": "1"}}]}]});
        let s = summarize_bytes(state.to_string().as_bytes()).expect("state");
        let g = s.generated.values().next().expect("the version");
        assert_eq!(g.secret_id.as_deref(), Some(full));
    }
}
