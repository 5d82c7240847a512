//! Terraform plans: what each change in `terraform show -json PLANFILE` would do to the
//! resources that hold data or guard it, read as the bytes arrive.
//!
//! A plan's JSON repeats the whole configuration and the prior state and can run to
//! hundreds of megabytes. The reader walks it once and keeps, per change of a type a rule
//! may judge ([`judged_type`]), its address, its actions and the few attributes the rules
//! read ([`KEPT`]); everything else (other changes, `prior_state`, `planned_values`,
//! `configuration`) is skipped without being built. A generated secret, a secret version's
//! value, or any kept attribute Terraform marks sensitive is reduced to its SHA-256 while
//! parsing; the value itself is never kept.

use crate::state::{GENERATOR_TYPES, PROTECTED_TYPES, SECRET_VERSION_TYPE};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

/// The plan format's major version this reader understands (`format_version` "1.x").
pub const FORMAT_MAJOR: &str = "1";

/// Types whose changes the guard also judges although they hold no data: they protect it.
pub const GUARDING_TYPES: &[&str] = &[
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_object_lock_configuration",
    "aws_s3_bucket_replication_configuration",
    "aws_backup_plan",
    "aws_backup_selection",
    "aws_backup_vault_lock_configuration",
    "aws_cloudtrail",
    "aws_dynamodb_table_replica",
];

/// The attributes the rules read, wherever they occur in a change's `before` or `after`.
/// Nested blocks that carry a flag (`point_in_time_recovery { enabled }`,
/// `versioning_configuration { status }`) are flattened to `block.attribute`.
pub const KEPT: &[&str] = &[
    "id",
    "arn",
    "name",
    "bucket",
    "identifier",
    "cluster_identifier",
    "backup_vault_name",
    "kms_key_id",
    "kms_key_arn",
    "key_id",
    "secret_id",
    "force_destroy",
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "delete_automated_backups",
    "deletion_protection",
    "deletion_protection_enabled",
    "backup_retention_period",
    "recovery_window_in_days",
    "deletion_window_in_days",
    "object_lock_enabled",
    "enable_logging",
    "changeable_for_days",
    "min_retention_days",
    "point_in_time_recovery.enabled",
    "versioning_configuration.status",
    "rule.status",
    "rule.noncurrent_version_expiration.noncurrent_days",
    "rule.expiration.days",
    "server_side_encryption.kms_key_arn",
    "rule.destination.bucket",
    "rule.default_retention.mode",
    "rule.default_retention.days",
    "rule.default_retention.years",
    "tags.phoenix:encryption-key",
    "tags_all.phoenix:encryption-key",
];

/// Lists of names the rules read (a backup selection's `resources`), kept as one text of
/// the names joined with ", ".
pub const KEPT_LISTS: &[&str] = &["resources"];

/// The attributes whose values are secrets by nature: kept only as their SHA-256.
pub const SECRET_ATTRIBUTES: &[&str] = &[
    "result",
    "b64_std",
    "hex",
    "base64",
    "private_key_pem",
    "private_key_openssh",
    "secret_string",
    "secret_binary",
];

/// What Terraform will do to one resource instance (`change.actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    Delete,
    /// Destroyed and created again; `create_first` when the new object is created before the
    /// old one is destroyed (`create_before_destroy`).
    Replace {
        create_first: bool,
    },
    /// Removed from the state and left alone in AWS (a `removed` block with
    /// `destroy = false`); with `create_too`, a new object is also created.
    Forget {
        create_too: bool,
    },
}

impl Action {
    /// The action of one `actions` list, as Terraform writes it; `None` for a combination
    /// Terraform does not document.
    pub fn parse(actions: &[String]) -> Option<Self> {
        let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
        Some(match actions.as_slice() {
            ["no-op"] => Self::NoOp,
            ["create"] => Self::Create,
            ["read"] => Self::Read,
            ["update"] => Self::Update,
            ["delete"] => Self::Delete,
            ["delete", "create"] => Self::Replace {
                create_first: false,
            },
            ["create", "delete"] => Self::Replace { create_first: true },
            ["forget"] => Self::Forget { create_too: false },
            ["create", "forget"] => Self::Forget { create_too: true },
            _ => return None,
        })
    }

    /// Whether the object that exists now (and its data) is destroyed.
    pub const fn destroys(self) -> bool {
        matches!(self, Self::Delete | Self::Replace { .. })
    }

    /// As `terraform plan` says it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoOp => "no-op",
            Self::Create => "create",
            Self::Read => "read",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Replace {
                create_first: false,
            } => "replace (delete, then create)",
            Self::Replace { create_first: true } => "replace (create, then delete)",
            Self::Forget { create_too: false } => "forget",
            Self::Forget { create_too: true } => "forget, then create",
        }
    }
}

/// A kept attribute's value: what the rules compare, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    Bool(bool),
    Number(i64),
    Text(String),
    /// Unknown until apply (`after_unknown`).
    Unknown,
    /// A secret or sensitive value: its SHA-256, hex.
    Digest(String),
}

impl Kept {
    pub const fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub const fn as_number(&self) -> Option<i64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// The kept attributes of one side of a change, by name ([`KEPT`], [`SECRET_ATTRIBUTES`]).
pub type Attributes = BTreeMap<&'static str, Kept>;

/// One judged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `module.app.aws_efs_file_system.uploads["a"]`.
    pub address: String,
    pub module_address: Option<String>,
    pub resource_type: String,
    pub name: String,
    pub action: Action,
    /// Where a `moved` block brought it from.
    pub previous_address: Option<String>,
    /// The deposed object's key, for a change to an object a failed
    /// `create_before_destroy` left behind.
    pub deposed: Option<String>,
    /// Why Terraform replaces or deletes it (`action_reason`), when it says.
    pub reason: Option<String>,
    /// The attribute paths that force the replacement (`replace_paths`), joined with dots.
    pub replace_paths: Vec<String>,
    pub before: Attributes,
    pub after: Attributes,
}

/// What the rules need from one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub format_version: String,
    pub terraform_version: Option<String>,
    /// Changes of the judged types, in the plan's order.
    pub changes: Vec<Change>,
    /// Changes of other types (counted, not kept).
    pub other_changes: usize,
    /// Changes whose `actions` Terraform does not document (address and actions).
    pub unreadable: Vec<String>,
    /// Whether every resource change, of any type, deletes (`terraform plan -destroy`, or a
    /// destroy read from state): what guards the data then goes with the data.
    pub destroys_everything: bool,
}

/// Whether a type's changes are kept: a data store, a generator of secrets, a secret's
/// version, or a resource that guards data.
pub fn judged_type(resource_type: &str) -> bool {
    PROTECTED_TYPES.iter().any(|(t, _)| *t == resource_type)
        || GENERATOR_TYPES.iter().any(|(t, _)| *t == resource_type)
        || resource_type == SECRET_VERSION_TYPE
        || GUARDING_TYPES.contains(&resource_type)
}

/// Why a file is not a plan this reader can judge, in one line for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    NotJson(String),
    Truncated,
    /// A state file (raw, or `terraform show -json` of one) where a plan was expected.
    State,
    UnsupportedFormat(String),
    NotAPlan(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(why) => write!(f, "not JSON ({why}); give the output of terraform show -json PLANFILE"),
            Self::Truncated => f.write_str("the JSON ends early: the plan is truncated"),
            Self::State => f.write_str("this is a Terraform state, not a plan (give the output of terraform show -json PLANFILE; for a destroy, terraform plan -destroy -out=PLANFILE)"),
            Self::UnsupportedFormat(v) => write!(f, "plan format_version {v} is not supported (only 1.x)"),
            Self::NotAPlan(why) => write!(f, "not a Terraform plan: {why}"),
        }
    }
}

impl std::error::Error for Unusable {}

/// Reads a plan from `reader` (a file, stdin), keeping only what the rules judge.
pub fn read(reader: impl Read) -> Result<Plan, Unusable> {
    read_with(reader, judged_type)
}

/// [`read`], keeping the changes of the types `judged` accepts.
pub fn read_with(reader: impl Read, judged: fn(&str) -> bool) -> Result<Plan, Unusable> {
    let reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let mut parser = serde_json::Deserializer::from_reader(reader);
    let mut top = Top {
        plan: PartialPlan {
            judged: Some(judged),
            ..PartialPlan::default()
        },
        ..Top::default()
    };
    let result = TopSeed(&mut top)
        .deserialize(&mut parser)
        .and_then(|()| parser.end());
    if let Err(err) = result {
        // A version check stops the walk early on purpose: report it as such.
        if let Some(v) = top.unsupported {
            return Err(Unusable::UnsupportedFormat(v));
        }
        return Err(match err.classify() {
            serde_json::error::Category::Eof => Unusable::Truncated,
            _ if top.seen_key => Unusable::NotAPlan(err.to_string()),
            _ => Unusable::NotJson(err.to_string()),
        });
    }
    if top.state_shape {
        return Err(Unusable::State);
    }
    let Some(format_version) = top.plan.format_version.clone().filter(|v| !v.is_empty()) else {
        return Err(Unusable::NotAPlan(
            "no format_version (is this the output of terraform show -json PLANFILE?)".to_owned(),
        ));
    };
    if !top.plan_shape {
        return Err(Unusable::NotAPlan(
            "no resource_changes or planned_values".to_owned(),
        ));
    }
    Ok(Plan {
        format_version,
        terraform_version: top.plan.terraform_version,
        changes: top.plan.changes,
        other_changes: top.plan.other_changes,
        unreadable: top.plan.unreadable,
        destroys_everything: !top.plan.keeps_something,
    })
}

/// Reads a plan held in memory (tests, small files).
pub fn read_bytes(bytes: &[u8]) -> Result<Plan, Unusable> {
    read(bytes)
}

#[derive(Default)]
struct Top {
    plan: PartialPlan,
    seen_key: bool,
    plan_shape: bool,
    state_shape: bool,
    unsupported: Option<String>,
}

#[derive(Default)]
struct PartialPlan {
    judged: Option<fn(&str) -> bool>,
    /// A change of any type that does not delete.
    keeps_something: bool,
    format_version: Option<String>,
    terraform_version: Option<String>,
    changes: Vec<Change>,
    other_changes: usize,
    unreadable: Vec<String>,
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
        f.write_str("a JSON object (terraform show -json PLANFILE)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let top = self.0;
        while let Some(key) = map.next_key::<String>()? {
            top.seen_key = true;
            match key.as_str() {
                "format_version" => {
                    let version = text(map.next_value::<Value>()?);
                    if let Some(v) = &version
                        && v.split('.').next() != Some(FORMAT_MAJOR)
                    {
                        top.unsupported = Some(v.clone());
                        return Err(serde::de::Error::custom("unsupported format_version"));
                    }
                    top.plan.format_version = version;
                }
                "terraform_version" => top.plan.terraform_version = text(map.next_value()?),
                "resource_changes" => {
                    top.plan_shape = true;
                    map.next_value_seed(ChangesSeed(&mut top.plan))?;
                }
                "planned_values" => {
                    top.plan_shape = true;
                    map.next_value::<IgnoredAny>()?;
                }
                // A raw state file (version 4) has `version` and `lineage`; the JSON of a
                // state shown by terraform has `values` and no plan keys.
                "lineage" | "values" => {
                    top.state_shape = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if top.plan_shape {
            top.state_shape = false;
        }
        Ok(())
    }
}

pub(crate) fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct ChangesSeed<'a>(&'a mut PartialPlan);

impl<'de> DeserializeSeed<'de> for ChangesSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChangesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resource changes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element_seed(ChangeSeed)? {
            let Some(raw) = raw else {
                continue;
            };
            if raw.mode.as_deref().is_some_and(|m| m != "managed") {
                continue;
            }
            let Some(resource_type) = raw.resource_type else {
                continue;
            };
            if Action::parse(&raw.actions) != Some(Action::Delete) {
                self.0.keeps_something = true;
            }
            if !self.0.judged.unwrap_or(judged_type)(&resource_type) {
                self.0.other_changes += 1;
                continue;
            }
            let address = raw.address.unwrap_or_else(|| resource_type.clone());
            let Some(action) = Action::parse(&raw.actions) else {
                self.0
                    .unreadable
                    .push(format!("{address}: actions {:?}", raw.actions));
                continue;
            };
            self.0.changes.push(Change {
                address,
                module_address: raw.module_address,
                name: raw.name.unwrap_or_default(),
                resource_type,
                action,
                previous_address: raw.previous_address,
                deposed: raw.deposed,
                reason: raw.action_reason,
                replace_paths: raw.replace_paths,
                before: kept(raw.before, &raw.before_sensitive, None),
                after: kept(raw.after, &raw.after_sensitive, Some(&raw.after_unknown)),
            });
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// One element of `resource_changes`, with `before` and `after` reduced to the kept
/// attributes as they are read; `None` for an element that is not an object.
#[derive(Default)]
struct RawChange {
    address: Option<String>,
    module_address: Option<String>,
    mode: Option<String>,
    resource_type: Option<String>,
    name: Option<String>,
    previous_address: Option<String>,
    deposed: Option<String>,
    action_reason: Option<String>,
    actions: Vec<String>,
    replace_paths: Vec<String>,
    before: Flat,
    after: Flat,
    before_sensitive: Flat,
    after_sensitive: Flat,
    after_unknown: Flat,
}

/// Scalar leaves of an object, by dotted path (list indexes dropped), kept only for paths
/// in [`KEPT`] or [`SECRET_ATTRIBUTES`]; secrets are digested on the way in.
pub(crate) type Flat = BTreeMap<&'static str, Value>;

struct ChangeSeed;

impl<'de> DeserializeSeed<'de> for ChangeSeed {
    type Value = Option<RawChange>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChangeSeed {
    type Value = Option<RawChange>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource change")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawChange::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "address" => raw.address = text(map.next_value()?),
                "module_address" => raw.module_address = text(map.next_value()?),
                "mode" => raw.mode = text(map.next_value()?),
                "type" => raw.resource_type = text(map.next_value()?),
                "name" => raw.name = text(map.next_value()?),
                "previous_address" => raw.previous_address = text(map.next_value()?),
                "deposed" => raw.deposed = text(map.next_value()?),
                "action_reason" => raw.action_reason = text(map.next_value()?),
                "change" => map.next_value_seed(ChangeBodySeed(&mut raw))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(raw))
    }
    crate::ignore_scalars!(None);
    crate::ignore_seq!('de, None);
}

struct ChangeBodySeed<'a>(&'a mut RawChange);

impl<'de> DeserializeSeed<'de> for ChangeBodySeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChangeBodySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a change object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let raw = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "actions" => {
                    raw.actions = match map.next_value::<Value>()? {
                        Value::Array(items) => items.into_iter().filter_map(text).collect(),
                        other => text(other).into_iter().collect(),
                    }
                }
                "replace_paths" => {
                    raw.replace_paths = match map.next_value::<Value>()? {
                        Value::Array(paths) => paths.iter().map(path_text).collect(),
                        _ => Vec::new(),
                    }
                }
                "before" => raw.before = map.next_value_seed(FlatSeed::new(true))?,
                "after" => raw.after = map.next_value_seed(FlatSeed::new(true))?,
                "before_sensitive" => {
                    raw.before_sensitive = map.next_value_seed(FlatSeed::new(false))?;
                }
                "after_sensitive" => {
                    raw.after_sensitive = map.next_value_seed(FlatSeed::new(false))?;
                }
                "after_unknown" => raw.after_unknown = map.next_value_seed(FlatSeed::new(false))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// `["rule", 0, "status"]` as `rule.0.status`.
fn path_text(path: &Value) -> String {
    match path {
        Value::Array(steps) => steps
            .iter()
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("."),
        other => other.to_string(),
    }
}

/// Walks one object (`before`, `after`, or a sensitivity / unknown mask), keeping the
/// scalar leaves at kept paths. For values (`digest_secrets`), a leaf at a secret path is
/// replaced by its SHA-256 before it is stored.
pub(crate) struct FlatSeed {
    digest_secrets: bool,
    prefix: String,
    depth: usize,
}

/// Deeper than any attribute the rules read: below it, values are skipped.
const MAX_DEPTH: usize = 8;

impl FlatSeed {
    pub(crate) const fn new(digest_secrets: bool) -> Self {
        Self {
            digest_secrets,
            prefix: String::new(),
            depth: 0,
        }
    }
}

impl<'de> DeserializeSeed<'de> for FlatSeed {
    type Value = Flat;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Flat, D::Error> {
        let mut flat = Flat::new();
        d.deserialize_any(FlatVisitor {
            seed: &self,
            out: &mut flat,
        })?;
        Ok(flat)
    }
}

struct FlatVisitor<'a> {
    seed: &'a FlatSeed,
    out: &'a mut Flat,
}

impl FlatVisitor<'_> {
    fn leaf(self, value: Value) {
        let path = self.seed.prefix.as_str();
        if self.seed.digest_secrets {
            if let Some(name) = SECRET_ATTRIBUTES.iter().find(|a| **a == path) {
                self.out.insert(name, Value::String(digest_of(&value)));
            } else if let Some(name) = KEPT.iter().find(|a| **a == path) {
                self.out.insert(name, value);
            }
            return;
        }
        // A mask (`after_sensitive`, `after_unknown`): a flag on a block, or on the whole
        // object, covers every kept path below it.
        for name in KEPT.iter().chain(SECRET_ATTRIBUTES).chain(KEPT_LISTS) {
            let below = path.is_empty()
                || *name == path
                || name
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.'));
            if below {
                self.out.insert(name, value.clone());
            }
        }
    }

    fn child(&self, key: &str) -> FlatSeed {
        FlatSeed {
            digest_secrets: self.seed.digest_secrets,
            prefix: if self.seed.prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.seed.prefix)
            },
            depth: self.seed.depth + 1,
        }
    }
}

impl<'de> Visitor<'de> for FlatVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.leaf(Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(Value::from(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(Value::from(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.leaf(Value::from(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(Value::String(v.to_owned()));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.leaf(Value::String(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if self.seed.depth >= MAX_DEPTH {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let child = self.child(&key);
            let mut nested = Flat::new();
            map.next_value_seed(NestedSeed {
                seed: &child,
                out: &mut nested,
            })?;
            for (name, value) in nested {
                self.out.insert(name, value);
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(name) = KEPT_LISTS
            .iter()
            .find(|n| self.seed.digest_secrets && **n == self.seed.prefix)
        {
            let mut names = Vec::new();
            while let Some(item) = seq.next_element::<Value>()? {
                if let Value::String(s) = item {
                    names.push(s);
                }
            }
            self.out.insert(name, Value::String(names.join(", ")));
            return Ok(());
        }
        // A list of blocks: each element at the same path (the first value found is kept,
        // a later one only where the first had none). A list of scalars is not a kept leaf.
        let seed = FlatSeed {
            digest_secrets: self.seed.digest_secrets,
            prefix: self.seed.prefix.clone(),
            depth: self.seed.depth + 1,
        };
        let rules = self.seed.digest_secrets && self.seed.prefix == RULES;
        let mut elements = Vec::new();
        while let Some(nested) = seq.next_element_seed(ElementSeed(&seed))? {
            if rules {
                elements.push(nested);
                continue;
            }
            for (name, value) in nested {
                self.out.entry(name).or_insert(value);
            }
        }
        if rules {
            strictest_rule(elements, self.out);
        }
        Ok(())
    }
}

/// The list of rule blocks (a lifecycle's, a replication's) read as one rule.
const RULES: &str = "rule";

/// Several rules read as the strictest one that applies: among the enabled rules (those
/// whose `status` is `Enabled`, or that have none), each number is the smallest any of them
/// sets (the earliest expiration), each other value the first one set; with no enabled
/// rule, the first rule as it is.
fn strictest_rule(elements: Vec<Flat>, out: &mut Flat) {
    let enabled = |e: &Flat| {
        e.get("rule.status")
            .is_none_or(|s| s == &Value::String("Enabled".to_owned()))
    };
    let mut chosen: Vec<Flat> = elements.iter().filter(|e| enabled(e)).cloned().collect();
    if chosen.is_empty() {
        chosen = elements.into_iter().take(1).collect();
    }
    for element in chosen {
        for (name, value) in element {
            match (out.get(name), &value) {
                (Some(Value::Number(kept)), Value::Number(new)) if new.as_f64() < kept.as_f64() => {
                    out.insert(name, value);
                }
                (Some(_), _) => {}
                (None, _) => {
                    out.insert(name, value);
                }
            }
        }
    }
}

struct NestedSeed<'a> {
    seed: &'a FlatSeed,
    out: &'a mut Flat,
}

impl<'de> DeserializeSeed<'de> for NestedSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(FlatVisitor {
            seed: self.seed,
            out: self.out,
        })
    }
}

struct ElementSeed<'a>(&'a FlatSeed);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Flat;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Flat, D::Error> {
        let mut flat = Flat::new();
        // Scalars inside a list are not kept: only blocks (objects) are walked.
        d.deserialize_any(ListElement {
            seed: self.0,
            out: &mut flat,
        })?;
        Ok(flat)
    }
}

struct ListElement<'a> {
    seed: &'a FlatSeed,
    out: &'a mut Flat,
}

impl<'de> Visitor<'de> for ListElement<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list element")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        FlatVisitor {
            seed: self.seed,
            out: self.out,
        }
        .visit_map(map)
    }
    crate::ignore_seq!('de, ());
    crate::ignore_scalars!(());
}

/// SHA-256 of a value as it appears in the plan, hex.
fn digest_of(value: &Value) -> String {
    let bytes = match value {
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The kept attributes of one side: a value Terraform marks sensitive is digested (never
/// kept as text), one unknown until apply is [`Kept::Unknown`].
pub(crate) fn kept(values: Flat, sensitive: &Flat, unknown: Option<&Flat>) -> Attributes {
    let mut out = Attributes::new();
    for (name, value) in values {
        let secret = SECRET_ATTRIBUTES.contains(&name);
        let marked = sensitive.get(name) == Some(&Value::Bool(true));
        let kept = if secret {
            // Already digested while parsing.
            Kept::Digest(value.as_str().unwrap_or_default().to_owned())
        } else if marked {
            Kept::Digest(digest_of(&value))
        } else {
            match value {
                Value::Bool(b) => Kept::Bool(b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Kept::Number(i),
                    None => Kept::Text(n.to_string()),
                },
                Value::String(s) => Kept::Text(s),
                _ => continue,
            }
        };
        out.insert(name, kept);
    }
    if let Some(unknown) = unknown {
        for (name, flag) in unknown {
            if flag == &Value::Bool(true) {
                out.entry(name).or_insert(Kept::Unknown);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(changes: Value) -> Value {
        json!({
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "planned_values": {"root_module": {}},
            "resource_changes": changes,
            "prior_state": {"values": {"root_module": {"resources": [{"values": {"secret_string": "planted-prior"}}]}}},
            "configuration": {"root_module": {}}
        })
    }

    fn change(address: &str, kind: &str, actions: &[&str], before: Value, after: Value) -> Value {
        json!({
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": address.rsplit('.').next().unwrap_or_default(),
            "change": {
                "actions": actions,
                "before": before,
                "after": after,
                "after_unknown": {},
                "before_sensitive": {},
                "after_sensitive": {}
            }
        })
    }

    fn read_value(value: &Value) -> Result<Plan, Unusable> {
        read_bytes(value.to_string().as_bytes())
    }

    #[test]
    fn every_action_terraform_writes_is_read_and_only_delete_and_replace_destroy() {
        let table: &[(&[&str], Action, bool)] = &[
            (&["no-op"], Action::NoOp, false),
            (&["create"], Action::Create, false),
            (&["read"], Action::Read, false),
            (&["update"], Action::Update, false),
            (&["delete"], Action::Delete, true),
            (
                &["delete", "create"],
                Action::Replace {
                    create_first: false,
                },
                true,
            ),
            (
                &["create", "delete"],
                Action::Replace { create_first: true },
                true,
            ),
            (&["forget"], Action::Forget { create_too: false }, false),
            (
                &["create", "forget"],
                Action::Forget { create_too: true },
                false,
            ),
        ];
        for (actions, action, destroys) in table {
            let owned: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
            assert_eq!(Action::parse(&owned), Some(*action), "{actions:?}");
            assert_eq!(action.destroys(), *destroys, "{actions:?}");
        }
        assert_eq!(
            Action::parse(&["delete".to_owned(), "update".to_owned()]),
            None
        );
        assert_eq!(Action::parse(&[]), None);
    }

    #[test]
    fn a_change_keeps_its_address_and_the_attributes_the_rules_read_and_nothing_else() {
        let doc = plan(json!([
            change(
                "module.db.aws_db_instance.main[0]",
                "aws_db_instance",
                &["delete"],
                json!({
                    "identifier": "zitadel-dev",
                    "arn": "arn:aws:rds:eu-west-1:123456789012:db:zitadel-dev",
                    "skip_final_snapshot": true,
                    "final_snapshot_identifier": null,
                    "delete_automated_backups": true,
                    "deletion_protection": false,
                    "backup_retention_period": 7,
                    "password": "planted-password",
                    "tags": {"Name": "x"}
                }),
                Value::Null,
            ),
            change(
                "aws_instance.web",
                "aws_instance",
                &["delete"],
                json!({"id": "i-1"}),
                Value::Null
            ),
        ]));
        let read = read_value(&doc).expect("a plan");
        assert_eq!(read.format_version, "1.2");
        assert_eq!(read.other_changes, 1, "the instance is counted, not kept");
        assert_eq!(read.changes.len(), 1);
        let db = &read.changes[0];
        assert_eq!(db.address, "module.db.aws_db_instance.main[0]");
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
            Some(&Kept::Text("zitadel-dev".to_owned()))
        );
        assert!(
            !db.before.contains_key("final_snapshot_identifier"),
            "null is absent"
        );
        assert!(db.after.is_empty());
        assert!(!format!("{read:?}").contains("planted"), "{read:?}");
    }

    #[test]
    fn nested_flags_are_read_by_their_dotted_path() {
        let doc = plan(json!([
            change(
                "aws_dynamodb_table.sessions",
                "aws_dynamodb_table",
                &["delete", "create"],
                json!({"name": "sessions", "point_in_time_recovery": [{"enabled": true}], "deletion_protection_enabled": false}),
                json!({"name": "sessions", "point_in_time_recovery": [{"enabled": false}]}),
            ),
            change(
                "aws_s3_bucket_versioning.uploads",
                "aws_s3_bucket_versioning",
                &["update"],
                json!({"bucket": "uploads", "versioning_configuration": [{"status": "Enabled"}]}),
                json!({"bucket": "uploads", "versioning_configuration": [{"status": "Suspended"}]}),
            ),
        ]));
        let read = read_value(&doc).expect("a plan");
        let table = &read.changes[0];
        assert_eq!(
            table.before.get("point_in_time_recovery.enabled"),
            Some(&Kept::Bool(true))
        );
        assert_eq!(
            table.after.get("point_in_time_recovery.enabled"),
            Some(&Kept::Bool(false))
        );
        assert_eq!(
            read.changes[1].after.get("versioning_configuration.status"),
            Some(&Kept::Text("Suspended".to_owned()))
        );
    }

    #[test]
    fn several_lifecycle_rules_read_as_the_strictest_enabled_one() {
        let rules = json!({"bucket": "uploads", "rule": [
            {"id": "keep", "status": "Enabled", "noncurrent_version_expiration": [{"noncurrent_days": 90}]},
            {"id": "off", "status": "Disabled", "expiration": [{"days": 1}]},
            {"id": "logs", "status": "Enabled", "expiration": [{"days": 7}], "noncurrent_version_expiration": [{"noncurrent_days": 3}]}
        ]});
        let doc = plan(json!([change(
            "aws_s3_bucket_lifecycle_configuration.uploads",
            "aws_s3_bucket_lifecycle_configuration",
            &["update"],
            json!({"bucket": "uploads", "rule": [{"status": "Enabled", "noncurrent_version_expiration": [{"noncurrent_days": 90}]}]}),
            rules,
        )]));
        let read = read_value(&doc).expect("a plan");
        let after = &read.changes[0].after;
        assert_eq!(
            after.get("rule.status"),
            Some(&Kept::Text("Enabled".to_owned()))
        );
        assert_eq!(
            after.get("rule.noncurrent_version_expiration.noncurrent_days"),
            Some(&Kept::Number(3)),
            "the second enabled rule's 3 days, not the first's 90"
        );
        assert_eq!(
            after.get("rule.expiration.days"),
            Some(&Kept::Number(7)),
            "the disabled rule's 1 day does not count"
        );
        assert_eq!(
            read.changes[0]
                .before
                .get("rule.noncurrent_version_expiration.noncurrent_days"),
            Some(&Kept::Number(90))
        );
    }

    #[test]
    fn a_selections_resources_and_a_replications_destination_are_kept() {
        let doc = plan(json!([
            change(
                "aws_backup_selection.efs",
                "aws_backup_selection",
                &["delete"],
                json!({"name": "efs", "resources": ["arn:fs-1", "arn:fs-2"], "not_resources": ["arn:fs-3"]}),
                Value::Null,
            ),
            change(
                "aws_s3_bucket_replication_configuration.uploads",
                "aws_s3_bucket_replication_configuration",
                &["delete"],
                json!({"bucket": "uploads", "rule": [{"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::uploads-dr"}]}]}),
                Value::Null,
            ),
        ]));
        let read = read_value(&doc).expect("a plan");
        assert_eq!(
            read.changes[0].before.get("resources"),
            Some(&Kept::Text("arn:fs-1, arn:fs-2".to_owned()))
        );
        assert_eq!(
            read.changes[0].before.len(),
            2,
            "{:?}",
            read.changes[0].before
        );
        assert_eq!(
            read.changes[1].before.get("rule.destination.bucket"),
            Some(&Kept::Text("arn:aws:s3:::uploads-dr".to_owned()))
        );
    }

    #[test]
    fn secrets_and_sensitive_values_are_kept_only_as_digests() {
        let mut secret = change(
            "aws_secretsmanager_secret_version.key",
            "aws_secretsmanager_secret_version",
            &["delete", "create"],
            json!({"secret_id": "arn:aws:secretsmanager:eu-west-1:1:secret:key", "secret_string": "planted-old"}),
            json!({"secret_id": "arn:aws:secretsmanager:eu-west-1:1:secret:key", "secret_string": "planted-new"}),
        );
        secret["change"]["after_sensitive"] = json!({"secret_string": true});
        let mut password = change(
            "random_password.key",
            "random_password",
            &["delete", "create"],
            json!({"result": "planted-result", "length": 32}),
            Value::Null,
        );
        password["change"]["after_unknown"] = json!({"result": true});
        let mut key = change(
            "aws_kms_key.data",
            "aws_kms_key",
            &["update"],
            json!({"arn": "arn:aws:kms:eu-west-1:1:key/k", "deletion_window_in_days": 30}),
            json!({"arn": "arn:aws:kms:eu-west-1:1:key/k", "deletion_window_in_days": 7}),
        );
        key["change"]["after_sensitive"] = json!({"deletion_window_in_days": true});
        let read = read_value(&plan(json!([secret, password, key]))).expect("a plan");
        let text = format!("{read:?}");
        assert!(!text.contains("planted"), "{text}");
        let version = &read.changes[0];
        let (Some(Kept::Digest(old)), Some(Kept::Digest(new))) = (
            version.before.get("secret_string"),
            version.after.get("secret_string"),
        ) else {
            panic!("digests expected: {version:?}");
        };
        assert_eq!(old.len(), 64);
        assert_ne!(old, new, "a changed value has another digest");
        assert_eq!(read.changes[1].after.get("result"), Some(&Kept::Unknown));
        assert!(matches!(
            read.changes[2].after.get("deletion_window_in_days"),
            Some(Kept::Digest(_))
        ));
    }

    #[test]
    fn moves_deposed_objects_reasons_and_replace_paths_are_kept() {
        let mut moved = change(
            "aws_s3_bucket.new",
            "aws_s3_bucket",
            &["no-op"],
            json!({}),
            json!({}),
        );
        moved["previous_address"] = json!("aws_s3_bucket.old");
        let mut deposed = change(
            "aws_efs_file_system.fs",
            "aws_efs_file_system",
            &["delete"],
            json!({"id": "fs-1"}),
            Value::Null,
        );
        deposed["deposed"] = json!("00000001");
        deposed["action_reason"] = json!("delete_because_no_resource_config");
        let mut replaced = change(
            "aws_rds_cluster.c",
            "aws_rds_cluster",
            &["delete", "create"],
            json!({}),
            json!({}),
        );
        replaced["change"]["replace_paths"] = json!([["engine"], ["master_username"]]);
        let read = read_value(&plan(json!([moved, deposed, replaced]))).expect("a plan");
        assert_eq!(
            read.changes[0].previous_address.as_deref(),
            Some("aws_s3_bucket.old")
        );
        assert_eq!(read.changes[1].deposed.as_deref(), Some("00000001"));
        assert_eq!(
            read.changes[1].reason.as_deref(),
            Some("delete_because_no_resource_config")
        );
        assert_eq!(read.changes[2].replace_paths, ["engine", "master_username"]);
    }

    #[test]
    fn what_is_not_a_plan_says_what_it_is_instead() {
        assert!(matches!(read_bytes(b"hello"), Err(Unusable::NotJson(_))));
        assert!(matches!(
            read_bytes(&[0xff, 0x00, 0x13]),
            Err(Unusable::NotJson(_))
        ));
        let whole = plan(json!([])).to_string();
        assert_eq!(
            read_bytes(&whole.as_bytes()[..whole.len() / 2]),
            Err(Unusable::Truncated)
        );
        assert_eq!(
            read_bytes(br#"{"version": 4, "serial": 3, "lineage": "x", "resources": []}"#),
            Err(Unusable::State)
        );
        assert_eq!(
            read_bytes(br#"{"format_version": "1.0", "terraform_version": "1.11.4", "values": {"root_module": {}}}"#),
            Err(Unusable::State)
        );
        assert_eq!(
            read_bytes(br#"{"format_version": "2.0", "resource_changes": []}"#),
            Err(Unusable::UnsupportedFormat("2.0".to_owned()))
        );
        assert!(matches!(
            read_bytes(br#"{"resource_changes": []}"#),
            Err(Unusable::NotAPlan(_))
        ));
        assert!(matches!(
            read_bytes(b"[1, 2]"),
            Err(Unusable::NotJson(_) | Unusable::NotAPlan(_))
        ));
        let line = Unusable::State.to_string();
        assert!(!line.contains('\n') && line.contains("state"), "{line}");
    }

    /// `terraform show -json` of a real plan (Terraform 1.11, `terraform_data`: no provider
    /// to download; the configuration is `fixtures/terraform-data-plan.tf`), every change
    /// kept: the envelope is read as Terraform writes it.
    #[test]
    fn a_plan_terraform_wrote_is_read_with_its_moves_modules_indexes_and_reasons() {
        let bytes = include_bytes!("../fixtures/terraform-data-plan.json");
        let read = read_with(&bytes[..], |_| true).expect("a plan");
        assert_eq!(read.format_version, "1.2");
        assert_eq!(read.terraform_version.as_deref(), Some("1.11.4"));
        let seen: Vec<(&str, Action)> = read
            .changes
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            seen,
            [
                ("terraform_data.gone[0]", Action::Delete),
                ("terraform_data.gone[1]", Action::Delete),
                ("terraform_data.new", Action::Create),
                ("terraform_data.renamed", Action::NoOp),
                (
                    "terraform_data.replace_me",
                    Action::Replace { create_first: true }
                ),
                ("module.inner.terraform_data.m[\"x\"]", Action::NoOp),
            ]
        );
        assert_eq!(
            read.changes[3].previous_address.as_deref(),
            Some("terraform_data.keep")
        );
        assert_eq!(
            read.changes[5].module_address.as_deref(),
            Some("module.inner")
        );
        assert_eq!(read.changes[4].replace_paths, ["triggers_replace"]);
        assert_eq!(
            read.changes[0].reason.as_deref(),
            Some("delete_because_no_resource_config")
        );
        assert!(!format!("{read:?}").contains("planted"));
        // The judged types only: terraform_data holds no data.
        let judged = read_bytes(bytes).expect("a plan");
        assert!(judged.changes.is_empty());
        assert_eq!(judged.other_changes, 6);
        assert!(!read.destroys_everything && !judged.destroys_everything);
    }

    /// `terraform plan -destroy` (Terraform 1.11, `fixtures/terraform-data-destroy-plan.tf`):
    /// every change deletes, whatever its type.
    #[test]
    fn a_destroy_plan_terraform_wrote_destroys_everything() {
        let bytes = include_bytes!("../fixtures/terraform-data-destroy-plan.json");
        let read = read_bytes(bytes).expect("a plan");
        assert!(read.changes.is_empty(), "terraform_data is not judged");
        assert_eq!(read.other_changes, 3);
        assert!(read.destroys_everything);
    }

    #[test]
    fn a_state_terraform_wrote_is_recognised_as_a_state_raw_or_shown() {
        assert_eq!(
            read_bytes(include_bytes!("../fixtures/terraform-data-state-raw.json")),
            Err(Unusable::State)
        );
        assert_eq!(
            read_bytes(include_bytes!(
                "../fixtures/terraform-data-state-shown.json"
            )),
            Err(Unusable::State)
        );
    }

    #[test]
    fn an_action_terraform_does_not_document_is_listed_not_guessed() {
        let doc = plan(json!([change(
            "aws_s3_bucket.b",
            "aws_s3_bucket",
            &["delete", "update"],
            json!({}),
            json!({})
        )]));
        let read = read_value(&doc).expect("a plan");
        assert!(read.changes.is_empty());
        assert_eq!(read.unreadable.len(), 1);
        assert!(read.unreadable[0].starts_with("aws_s3_bucket.b"));
    }
}
