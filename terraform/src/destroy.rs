//! `terraform destroy` of a whole stack, from its state alone: every managed instance of a
//! type the gate judges becomes a deletion whose `before` is reduced exactly as a plan's is
//! ([`plan::KEPT`] attributes, secrets digested while parsing). The result is a [`Plan`], so
//! the gate judges a destroy and a plan by the same rules.
//!
//! Two shapes are read, both streamed: the state file a backend stores (`version` 4) and
//! `terraform show -json` of a state (`format_version` 1.x, `values.root_module` with its
//! `child_modules`).

use crate::plan::{self, Action, Change, Flat, FlatSeed, Plan, judged_type, kept, text};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::io::Read;

/// The raw state version this reader understands (Terraform 0.12 and later write 4).
pub const STATE_VERSION: u64 = 4;

/// Why a file is not a state this reader can judge, in one line for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    NotJson(String),
    Truncated,
    /// A plan where a state was expected.
    Plan,
    UnsupportedVersion(String),
    NotAState(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(why) => write!(
                f,
                "not JSON ({why}); give a Terraform state (terraform.tfstate, or terraform show -json of one)"
            ),
            Self::Truncated => f.write_str("the JSON ends early: the state is truncated"),
            Self::Plan => f.write_str(
                "this is a Terraform plan, not a state (judge a plan with phoenix check-plan)",
            ),
            Self::UnsupportedVersion(v) => write!(
                f,
                "state version {v} is not supported (only state version 4 and terraform show -json format 1.x)"
            ),
            Self::NotAState(why) => write!(f, "not a Terraform state: {why}"),
        }
    }
}

impl std::error::Error for Unusable {}

/// The destroy of the stack whose state `reader` holds.
pub fn read(reader: impl Read) -> Result<Plan, Unusable> {
    read_with(reader, judged_type)
}

/// [`read`], keeping the instances of the types `judged` accepts.
pub fn read_with(reader: impl Read, judged: fn(&str) -> bool) -> Result<Plan, Unusable> {
    let reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let mut parser = serde_json::Deserializer::from_reader(reader);
    let mut top = Top {
        judged: Some(judged),
        ..Top::default()
    };
    let result = TopSeed(&mut top)
        .deserialize(&mut parser)
        .and_then(|()| parser.end());
    if let Err(err) = result {
        if let Some(v) = top.unsupported {
            return Err(Unusable::UnsupportedVersion(v));
        }
        return Err(match err.classify() {
            serde_json::error::Category::Eof => Unusable::Truncated,
            _ if top.seen_key => Unusable::NotAState(err.to_string()),
            _ => Unusable::NotJson(err.to_string()),
        });
    }
    if top.plan_shape {
        return Err(Unusable::Plan);
    }
    let format_version = match (&top.version, &top.format_version) {
        (Some(v), _) => format!("state {v}"),
        (None, Some(v)) if top.values => format!("shown state {v}"),
        _ => {
            return Err(Unusable::NotAState(
                "no version (raw state) and no values (terraform show -json)".to_owned(),
            ));
        }
    };
    Ok(Plan {
        format_version,
        terraform_version: top.terraform_version,
        changes: top.changes,
        other_changes: top.other,
        unreadable: Vec::new(),
        destroys_everything: true,
    })
}

/// [`read`] for a state held in memory (tests, small files).
pub fn read_bytes(bytes: &[u8]) -> Result<Plan, Unusable> {
    read(bytes)
}

#[derive(Default)]
struct Top {
    judged: Option<fn(&str) -> bool>,
    seen_key: bool,
    version: Option<String>,
    format_version: Option<String>,
    terraform_version: Option<String>,
    values: bool,
    plan_shape: bool,
    unsupported: Option<String>,
    changes: Vec<Change>,
    other: usize,
}

impl Top {
    /// Records one instance that the destroy deletes.
    fn destroyed(&mut self, instance: Instance) {
        if instance.mode.as_deref().is_some_and(|m| m != "managed") {
            return;
        }
        let Some(resource_type) = instance.resource_type else {
            return;
        };
        if !self.judged.unwrap_or(judged_type)(&resource_type) {
            self.other += 1;
            return;
        }
        let name = instance.name.unwrap_or_default();
        let address = instance.address.unwrap_or_else(|| {
            crate::state::address(
                instance.module.as_deref(),
                &resource_type,
                &name,
                instance.index.as_ref(),
            )
        });
        self.changes.push(Change {
            address,
            module_address: instance.module.filter(|m| !m.is_empty()),
            resource_type,
            name,
            action: Action::Delete,
            previous_address: None,
            deposed: instance.deposed,
            reason: None,
            replace_paths: Vec::new(),
            before: kept(instance.values, &instance.sensitive, None),
            after: plan::Attributes::new(),
        });
    }
}

/// One resource instance, from either shape.
#[derive(Default, Clone)]
struct Instance {
    address: Option<String>,
    module: Option<String>,
    mode: Option<String>,
    resource_type: Option<String>,
    name: Option<String>,
    index: Option<Value>,
    deposed: Option<String>,
    values: Flat,
    sensitive: Flat,
}

struct TopSeed<'a>(&'a mut Top);

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (a Terraform state)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let top = self.0;
        while let Some(key) = map.next_key::<String>()? {
            top.seen_key = true;
            match key.as_str() {
                "version" => {
                    let version = text(map.next_value::<Value>()?);
                    if let Some(v) = &version
                        && v != &STATE_VERSION.to_string()
                    {
                        top.unsupported = Some(v.clone());
                        return Err(serde::de::Error::custom("unsupported state version"));
                    }
                    top.version = version;
                }
                "format_version" => {
                    let version = text(map.next_value::<Value>()?);
                    if let Some(v) = &version
                        && v.split('.').next() != Some(plan::FORMAT_MAJOR)
                    {
                        top.unsupported = Some(v.clone());
                        return Err(serde::de::Error::custom("unsupported format_version"));
                    }
                    top.format_version = version;
                }
                "terraform_version" => top.terraform_version = text(map.next_value()?),
                "resources" => map.next_value_seed(RawResources(&mut *top))?,
                "values" => {
                    top.values = true;
                    map.next_value_seed(ValuesSeed(&mut *top))?;
                }
                "resource_changes" | "planned_values" => {
                    top.plan_shape = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The raw state's `resources`: each resource's instances, one at a time.
struct RawResources<'a>(&'a mut Top);

impl<'de> DeserializeSeed<'de> for RawResources<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RawResources<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(instances) = seq.next_element_seed(RawResource)? {
            for instance in instances {
                self.0.destroyed(instance);
            }
        }
        Ok(())
    }
    crate::ignore_map!('de, ());
    crate::ignore_scalars!(());
}

/// One raw resource: its instances, with the resource's own fields filled in. Instances are
/// reduced as they are read, so the key order within the resource does not matter.
struct RawResource;

impl<'de> DeserializeSeed<'de> for RawResource {
    type Value = Vec<Instance>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RawResource {
    type Value = Vec<Instance>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut shared = Instance::default();
        let mut instances = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "module" => shared.module = text(map.next_value()?),
                "mode" => shared.mode = text(map.next_value()?),
                "type" => shared.resource_type = text(map.next_value()?),
                "name" => shared.name = text(map.next_value()?),
                "instances" => instances = map.next_value_seed(RawInstances)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(instances
            .into_iter()
            .map(|i| Instance {
                module: shared.module.clone(),
                mode: shared.mode.clone(),
                resource_type: shared.resource_type.clone(),
                name: shared.name.clone(),
                ..i
            })
            .collect())
    }
    crate::ignore_seq!('de, Vec::new());
    crate::ignore_scalars!(Vec::new());
}

struct RawInstances;

impl<'de> DeserializeSeed<'de> for RawInstances {
    type Value = Vec<Instance>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RawInstances {
    type Value = Vec<Instance>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of instances")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(instance) = seq.next_element_seed(InstanceSeed { shown: false })? {
            out.extend(instance);
        }
        Ok(out)
    }
    crate::ignore_map!('de, Vec::new());
    crate::ignore_scalars!(Vec::new());
}

/// One instance: a raw state's (`index_key`, `attributes`, `sensitive_attributes`,
/// `deposed`) or a shown state's resource (`address`, `type`, `index`, `values`,
/// `sensitive_values`, `deposed_key`).
struct InstanceSeed {
    shown: bool,
}

impl<'de> DeserializeSeed<'de> for InstanceSeed {
    type Value = Option<Instance>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for InstanceSeed {
    type Value = Option<Instance>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource instance")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Instance::default();
        while let Some(key) = map.next_key::<String>()? {
            match (key.as_str(), self.shown) {
                ("index_key", false) | ("index", true) => out.index = Some(map.next_value()?),
                ("deposed", false) | ("deposed_key", true) => out.deposed = text(map.next_value()?),
                ("attributes", false) | ("values", true) => {
                    out.values = map.next_value_seed(FlatSeed::new(true))?;
                }
                ("sensitive_attributes", false) => {
                    out.sensitive = sensitive_paths(&map.next_value::<Value>()?);
                }
                ("sensitive_values", true) => {
                    out.sensitive = map.next_value_seed(FlatSeed::new(false))?;
                }
                ("address", true) => out.address = text(map.next_value()?),
                ("mode", true) => out.mode = text(map.next_value()?),
                ("type", true) => out.resource_type = text(map.next_value()?),
                ("name", true) => out.name = text(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(out))
    }
    crate::ignore_seq!('de, None);
    crate::ignore_scalars!(None);
}

/// A raw state's `sensitive_attributes` (a list of paths, each a list of steps
/// `{"type": "get_attr", "value": "password"}`) as a mask over the kept attributes: a kept
/// attribute at or below a sensitive path is then digested, never kept as text.
fn sensitive_paths(paths: &Value) -> Flat {
    let mut mask = Flat::new();
    for path in paths.as_array().into_iter().flatten() {
        let steps: Vec<&str> = path
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|step| match step {
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("get_attr") => {
                    o.get("value").and_then(Value::as_str)
                }
                _ => None,
            })
            .collect();
        if steps.is_empty() {
            continue;
        }
        let path = steps.join(".");
        for name in plan::KEPT
            .iter()
            .chain(plan::SECRET_ATTRIBUTES)
            .chain(plan::KEPT_LISTS)
        {
            if *name == path || name.starts_with(&format!("{path}.")) {
                mask.insert(name, Value::Bool(true));
            }
        }
    }
    mask
}

/// A shown state's `values`: the root module, and its child modules, recursively.
struct ValuesSeed<'a>(&'a mut Top);

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a state's values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "root_module" {
                map.next_value_seed(ModuleSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    crate::ignore_seq!('de, ());
    crate::ignore_scalars!(());
}

/// A module of a shown state: its `resources`, then its `child_modules`.
struct ModuleSeed<'a>(&'a mut Top);

impl<'de> DeserializeSeed<'de> for ModuleSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ModuleSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a module")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut module = None;
        let mut resources = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "address" => module = text(map.next_value()?),
                "resources" => resources = map.next_value_seed(ShownResources)?,
                "child_modules" => map.next_value_seed(ChildModules(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for instance in resources {
            let module = instance.module.clone().or_else(|| module.clone());
            self.0.destroyed(Instance { module, ..instance });
        }
        Ok(())
    }
    crate::ignore_seq!('de, ());
    crate::ignore_scalars!(());
}

struct ShownResources;

impl<'de> DeserializeSeed<'de> for ShownResources {
    type Value = Vec<Instance>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShownResources {
    type Value = Vec<Instance>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(instance) = seq.next_element_seed(InstanceSeed { shown: true })? {
            out.extend(instance);
        }
        Ok(out)
    }
    crate::ignore_map!('de, Vec::new());
    crate::ignore_scalars!(Vec::new());
}

struct ChildModules<'a>(&'a mut Top);

impl<'de> DeserializeSeed<'de> for ChildModules<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChildModules<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of modules")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ModuleSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
    crate::ignore_map!('de, ());
    crate::ignore_scalars!(());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Kept;
    use serde_json::json;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn addresses(plan: &Plan) -> Vec<(String, Option<String>)> {
        let mut out: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.address.clone(), c.module_address.clone()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn terraforms_own_state_in_both_shapes_gives_the_same_deletions() {
        // Written by terraform 1.11.4 for terraform_data resources (no provider needed).
        let data = |t: &str| t == "terraform_data";
        let raw = read_with(&fixture("terraform-data-state-raw.json")[..], data).unwrap();
        let shown = read_with(&fixture("terraform-data-state-shown.json")[..], data).unwrap();
        assert_eq!(raw.format_version, "state 4");
        assert_eq!(shown.format_version, "shown state 1.0");
        assert_eq!(raw.terraform_version.as_deref(), Some("1.11.4"));
        let expected = vec![
            (
                "module.inner.terraform_data.m[\"x\"]".to_owned(),
                Some("module.inner".to_owned()),
            ),
            ("terraform_data.gone[0]".to_owned(), None),
            ("terraform_data.gone[1]".to_owned(), None),
            ("terraform_data.keep".to_owned(), None),
            ("terraform_data.replace_me".to_owned(), None),
        ];
        assert_eq!(addresses(&raw), expected);
        assert_eq!(addresses(&shown), expected);
        assert!(raw.changes.iter().all(|c| c.action == Action::Delete));
        // Judged by the gate's own types, none of them is kept: they are counted.
        let judged = read_bytes(&fixture("terraform-data-state-raw.json")).unwrap();
        assert!(judged.changes.is_empty());
        assert_eq!(judged.other_changes, 5);
    }

    fn raw_state() -> Value {
        json!({
            "version": 4,
            "terraform_version": "1.11.4",
            "serial": 12,
            "lineage": "l",
            "outputs": {"db_password": {"value": "planted-output", "sensitive": true}},
            "resources": [
                {"mode": "managed", "type": "aws_db_instance", "name": "zitadel",
                 "instances": [{"schema_version": 2, "attributes": {
                    "arn": "arn:aws:rds:eu-west-1:123456789012:db:zitadel",
                    "identifier": "zitadel", "skip_final_snapshot": true,
                    "final_snapshot_identifier": null, "deletion_protection": false,
                    "delete_automated_backups": true, "backup_retention_period": 7,
                    "password": "planted-db-password",
                    "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k1"},
                   "sensitive_attributes": [[{"type": "get_attr", "value": "password"}],
                                            [{"type": "get_attr", "value": "kms_key_id"}]]}]},
                {"module": "module.app", "mode": "managed", "type": "aws_s3_bucket", "name": "uploads",
                 "instances": [{"index_key": "zulip", "attributes": {
                    "arn": "arn:aws:s3:::zulip-uploads", "bucket": "zulip-uploads",
                    "force_destroy": true, "object_lock_enabled": false,
                    "tags": {"phoenix:data": "true"}}}]},
                {"mode": "managed", "type": "random_password", "name": "encryption_key",
                 "instances": [{"attributes": {"id": "none", "result": "planted-random-result"}}]},
                {"mode": "managed", "type": "aws_secretsmanager_secret_version", "name": "key",
                 "instances": [{"attributes": {"secret_id": "cochlearis/key",
                    "secret_string": "planted-secret-string"}},
                   {"deposed": "00000001", "attributes": {"secret_id": "cochlearis/key",
                    "secret_string": "planted-deposed"}}]},
                {"mode": "data", "type": "aws_s3_bucket", "name": "looked_up",
                 "instances": [{"attributes": {"arn": "arn:aws:s3:::someone-elses"}}]},
                {"mode": "managed", "type": "aws_iam_role", "name": "app",
                 "instances": [{"attributes": {"arn": "arn:aws:iam::123456789012:role/app"}}]}
            ]
        })
    }

    #[test]
    fn every_data_store_generator_and_secret_version_of_a_raw_state_is_deleted_with_what_the_rules_read()
     {
        let plan = read_bytes(raw_state().to_string().as_bytes()).unwrap();
        let by: std::collections::BTreeMap<_, _> = plan
            .changes
            .iter()
            .map(|c| (c.address.as_str(), c))
            .collect();
        assert_eq!(
            by.keys().copied().collect::<Vec<_>>(),
            vec![
                "aws_db_instance.zitadel",
                "aws_secretsmanager_secret_version.key",
                "aws_secretsmanager_secret_version.key",
                "module.app.aws_s3_bucket.uploads[\"zulip\"]",
                "random_password.encryption_key",
            ]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
        assert_eq!(plan.changes.len(), 5, "the deposed version too");
        assert!(
            plan.changes
                .iter()
                .any(|c| c.deposed.as_deref() == Some("00000001"))
        );
        // The data source and the role are not judged; the role is counted.
        assert_eq!(plan.other_changes, 1);
        let db = by["aws_db_instance.zitadel"];
        assert_eq!(db.action, Action::Delete);
        assert_eq!(
            db.before.get("skip_final_snapshot"),
            Some(&Kept::Bool(true))
        );
        assert_eq!(
            db.before.get("backup_retention_period"),
            Some(&Kept::Number(7))
        );
        assert_eq!(
            db.before.get("identifier"),
            Some(&Kept::Text("zitadel".to_owned()))
        );
        // Marked sensitive in the state: kept only as a digest.
        assert!(matches!(db.before.get("kms_key_id"), Some(Kept::Digest(_))));
        assert!(db.after.is_empty());
        let bucket = by["module.app.aws_s3_bucket.uploads[\"zulip\"]"];
        assert_eq!(bucket.module_address.as_deref(), Some("module.app"));
        assert_eq!(bucket.before.get("force_destroy"), Some(&Kept::Bool(true)));
        assert!(matches!(
            by["random_password.encryption_key"].before.get("result"),
            Some(Kept::Digest(_))
        ));
    }

    #[test]
    fn no_planted_secret_survives_the_reading() {
        let plan = read_bytes(raw_state().to_string().as_bytes()).unwrap();
        let kept = format!("{plan:?}");
        for planted in [
            "planted-db-password",
            "planted-random-result",
            "planted-secret-string",
            "planted-deposed",
            "planted-output",
            "key/k1",
        ] {
            assert!(!kept.contains(planted), "{planted} was kept");
        }
    }

    #[test]
    fn a_shown_state_reads_resources_of_nested_modules() {
        let shown = json!({
            "format_version": "1.0",
            "terraform_version": "1.11.4",
            "values": {"root_module": {
                "resources": [{"address": "aws_efs_file_system.data", "mode": "managed",
                    "type": "aws_efs_file_system", "name": "data",
                    "values": {"arn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1",
                               "kms_key_id": "k"},
                    "sensitive_values": {}}],
                "child_modules": [{"address": "module.db", "resources": [],
                    "child_modules": [{"address": "module.db.module.inner", "resources": [
                        {"address": "module.db.module.inner.aws_dynamodb_table.t", "mode": "managed",
                         "type": "aws_dynamodb_table", "name": "t", "deposed_key": "d1",
                         "values": {"arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
                                    "deletion_protection_enabled": true,
                                    "point_in_time_recovery": [{"enabled": true}]},
                         "sensitive_values": {"point_in_time_recovery": [{}]}}]}]}]
            }}
        });
        let plan = read_bytes(shown.to_string().as_bytes()).unwrap();
        assert_eq!(plan.changes.len(), 2);
        let table = &plan.changes[0];
        assert_eq!(table.address, "module.db.module.inner.aws_dynamodb_table.t");
        assert_eq!(
            table.module_address.as_deref(),
            Some("module.db.module.inner")
        );
        assert_eq!(table.deposed.as_deref(), Some("d1"));
        assert_eq!(
            table.before.get("point_in_time_recovery.enabled"),
            Some(&Kept::Bool(true))
        );
        assert_eq!(plan.changes[1].address, "aws_efs_file_system.data");
        assert_eq!(plan.changes[1].module_address, None);
    }

    #[test]
    fn what_is_not_a_usable_state_says_what_it_is() {
        type Expected = fn(&Unusable) -> bool;
        let cases: Vec<(Vec<u8>, Expected)> = vec![
            (fixture("terraform-data-plan.json"), |u| {
                *u == Unusable::Plan
            }),
            (br#"{"version": 3, "resources": []}"#.to_vec(), |u| {
                *u == Unusable::UnsupportedVersion("3".to_owned())
            }),
            (
                br#"{"format_version": "2.0", "values": {}}"#.to_vec(),
                |u| *u == Unusable::UnsupportedVersion("2.0".to_owned()),
            ),
            (
                br#"{"version": 4, "resources": [{"type": "aws_s3_bu"#.to_vec(),
                |u| *u == Unusable::Truncated,
            ),
            (b"\x00\xff\x13garbage".to_vec(), |u| {
                matches!(u, Unusable::NotJson(_))
            }),
            (b"{}".to_vec(), |u| matches!(u, Unusable::NotAState(_))),
        ];
        for (bytes, expected) in cases {
            let u = read_bytes(&bytes).expect_err("unusable");
            assert!(expected(&u), "{}: {u:?}", String::from_utf8_lossy(&bytes));
            assert!(!u.to_string().contains('\n'));
        }
        // An odd but valid shape is read leniently: nothing to judge, no error.
        let odd = read_bytes(br#"{"version": 4, "resources": 7}"#).unwrap();
        assert!(odd.changes.is_empty());
    }
}
