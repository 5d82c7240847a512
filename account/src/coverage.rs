//! Which resources an AWS Backup selection assigns to its plan.
//!
//! `ListProtectedResources` cannot answer "is this resource in a plan?" (it lists a resource
//! only after its first backup), so coverage is computed from the plans' selections with
//! AWS Backup's semantics:
//!
//! - a resource is *named* when it matches an entry of `Resources` (an ARN, with `*`
//!   wildcards, or `*` alone) **or** any `ListOfTags` entry (tag equals value);
//! - a selection that names nothing (no `Resources`, no `ListOfTags`) names every resource;
//! - a named resource is selected when **every** condition holds (`StringEquals`,
//!   `StringNotEquals`, `StringLike`, `StringNotLike` on `aws:ResourceTag/<key>`;
//!   case-sensitive) **and** it matches no `NotResources` entry;
//! - a resource whose type the region has opted out of is never selected, whatever the
//!   plans say (see [`Coverage`]).
//!
//! Keys are accepted as `aws:ResourceTag/<key>` (the API's spelling) or as the bare tag key
//! (Terraform's `selection_tag`). A negated condition holds for a resource that lacks the
//! tag: it does not carry the excluded value.

use phoenix_shared::pattern::glob_match;
use std::collections::BTreeMap;

const TAG_PREFIX: &str = "aws:ResourceTag/";

/// What a selection is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub arn: String,
    /// AWS Backup's type name (`EFS`, `RDS`, …).
    pub resource_type: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringLike,
    StringNotLike,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// The tag key, without the `aws:ResourceTag/` prefix.
    pub key: String,
    pub value: String,
}

impl Condition {
    /// A condition; `key` may carry the `aws:ResourceTag/` prefix.
    pub fn new(operator: Operator, key: &str, value: &str) -> Self {
        Self {
            operator,
            key: tag_key(key).to_owned(),
            value: value.to_owned(),
        }
    }

    fn holds(&self, resource: &Resource) -> bool {
        let tag = resource.tags.get(&self.key);
        match self.operator {
            Operator::StringEquals => tag.is_some_and(|v| *v == self.value),
            Operator::StringNotEquals => tag.is_none_or(|v| *v != self.value),
            Operator::StringLike => tag.is_some_and(|v| glob_match(&self.value, v, false)),
            Operator::StringNotLike => tag.is_none_or(|v| !glob_match(&self.value, v, false)),
        }
    }
}

fn tag_key(key: &str) -> &str {
    key.strip_prefix(TAG_PREFIX).unwrap_or(key)
}

/// One backup selection of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub plan_id: String,
    pub selection_id: String,
    pub resources: Vec<String>,
    pub not_resources: Vec<String>,
    /// `ListOfTags`: (tag key, value) pairs, any one of which names a resource.
    pub list_of_tags: Vec<(String, String)>,
    pub conditions: Vec<Condition>,
}

impl Selection {
    /// Adds a `ListOfTags` entry; `key` may carry the `aws:ResourceTag/` prefix.
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.list_of_tags
            .push((tag_key(key).to_owned(), value.to_owned()));
        self
    }

    /// Whether this selection assigns the resource to its plan (region opt-in aside).
    pub fn selects(&self, resource: &Resource) -> bool {
        let names_nothing = self.resources.is_empty() && self.list_of_tags.is_empty();
        let named = names_nothing
            || self
                .resources
                .iter()
                .any(|pattern| glob_match(pattern, &resource.arn, false))
            || self
                .list_of_tags
                .iter()
                .any(|(key, value)| resource.tags.get(key) == Some(value));
        named
            && self.conditions.iter().all(|c| c.holds(resource))
            && !self
                .not_resources
                .iter()
                .any(|pattern| glob_match(pattern, &resource.arn, false))
    }
}

/// The region's selections and resource-type opt-in, answering coverage questions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub selections: Vec<Selection>,
    /// `DescribeRegionSettings`' `ResourceTypeOptInPreference`; a type absent here is
    /// treated as opted in.
    pub opt_in: BTreeMap<String, bool>,
}

impl Coverage {
    /// Whether AWS Backup may back up this type in the region.
    pub fn opted_in(&self, resource_type: &str) -> bool {
        self.opt_in
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(resource_type))
            .is_none_or(|(_, opted)| *opted)
    }

    /// The selections that cover the resource; empty when it is unprotected (in no
    /// selection, or its type is opted out).
    pub fn covering<'a>(&'a self, resource: &Resource) -> Vec<&'a Selection> {
        if !self.opted_in(&resource.resource_type) {
            return Vec::new();
        }
        self.selections
            .iter()
            .filter(|s| s.selects(resource))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EFS: &str = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0c5e2a7d";
    const RDS: &str = "arn:aws:rds:eu-west-1:123456789012:db:cochlearis-dev-zitadel";

    fn resource(arn: &str, rtype: &str, tags: &[(&str, &str)]) -> Resource {
        Resource {
            arn: arn.to_owned(),
            resource_type: rtype.to_owned(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn by_resources(resources: &[&str], not: &[&str]) -> Selection {
        Selection {
            resources: resources.iter().map(|s| (*s).to_owned()).collect(),
            not_resources: not.iter().map(|s| (*s).to_owned()).collect(),
            ..Selection::default()
        }
    }

    #[test]
    fn resources_exact_wildcard_and_star() {
        let efs = resource(EFS, "EFS", &[]);
        let rds = resource(RDS, "RDS", &[]);
        let cases: &[(&[&str], bool, bool)] = &[
            (&[EFS], true, false),
            (&["arn:aws:elasticfilesystem:*"], true, false),
            (
                &["arn:aws:elasticfilesystem:*:*:file-system/*"],
                true,
                false,
            ),
            (&["*"], true, true),
            (&["arn:aws:rds:eu-west-1:123456789012:db:*"], false, true),
            (&["ARN:AWS:ELASTICFILESYSTEM:*"], false, false),
        ];
        for (patterns, selects_efs, selects_rds) in cases {
            let selection = by_resources(patterns, &[]);
            assert_eq!(selection.selects(&efs), *selects_efs, "{patterns:?} on EFS");
            assert_eq!(selection.selects(&rds), *selects_rds, "{patterns:?} on RDS");
        }
    }

    #[test]
    fn not_resources_always_win() {
        let efs = resource(EFS, "EFS", &[("backup", "daily")]);
        assert!(!by_resources(&["*"], &[EFS]).selects(&efs));
        assert!(!by_resources(&["*"], &["arn:aws:elasticfilesystem:*"]).selects(&efs));
        assert!(by_resources(&["*"], &["arn:aws:rds:*"]).selects(&efs));
        let tagged = Selection {
            not_resources: vec![EFS.to_owned()],
            ..Selection::default()
        }
        .with_tag("backup", "daily");
        assert!(!tagged.selects(&efs), "NotResources also beat ListOfTags");
    }

    #[test]
    fn list_of_tags_are_or_ed_with_each_other_and_with_resources() {
        let selection = Selection::default()
            .with_tag("aws:ResourceTag/backup", "daily")
            .with_tag("tier", "gold");
        assert!(selection.selects(&resource(EFS, "EFS", &[("backup", "daily")])));
        assert!(selection.selects(&resource(EFS, "EFS", &[("tier", "gold")])));
        assert!(
            !selection.selects(&resource(EFS, "EFS", &[("backup", "Daily")])),
            "case-sensitive"
        );
        assert!(!selection.selects(&resource(EFS, "EFS", &[])));

        let mixed = by_resources(&[RDS], &[]).with_tag("backup", "daily");
        assert!(mixed.selects(&resource(RDS, "RDS", &[])), "named by ARN");
        assert!(
            mixed.selects(&resource(EFS, "EFS", &[("backup", "daily")])),
            "named by tag"
        );
    }

    #[test]
    fn each_condition_operator_and_their_conjunction() {
        let tagged = resource(EFS, "EFS", &[("env", "prod"), ("app", "zulip-uploads")]);
        let untagged = resource(EFS, "EFS", &[]);
        let cases = [
            (Operator::StringEquals, "env", "prod", true, false),
            (Operator::StringEquals, "env", "PROD", false, false),
            (Operator::StringNotEquals, "env", "dev", true, true),
            (Operator::StringNotEquals, "env", "prod", false, true),
            (Operator::StringLike, "app", "zulip-*", true, false),
            (Operator::StringLike, "app", "bookstack-*", false, false),
            (Operator::StringNotLike, "app", "*-uploads", false, true),
            (Operator::StringNotLike, "app", "*-db", true, true),
        ];
        for (operator, key, value, on_tagged, on_untagged) in cases {
            let selection = Selection {
                resources: vec!["*".to_owned()],
                conditions: vec![Condition::new(
                    operator,
                    &format!("aws:ResourceTag/{key}"),
                    value,
                )],
                ..Selection::default()
            };
            assert_eq!(
                selection.selects(&tagged),
                on_tagged,
                "{operator:?} {key}={value} on tagged"
            );
            assert_eq!(
                selection.selects(&untagged),
                on_untagged,
                "{operator:?} {key}={value} on untagged"
            );
        }

        let both = Selection {
            resources: vec!["*".to_owned()],
            conditions: vec![
                Condition::new(Operator::StringEquals, "env", "prod"),
                Condition::new(Operator::StringLike, "app", "bookstack-*"),
            ],
            ..Selection::default()
        };
        assert!(!both.selects(&tagged), "conditions are AND-ed");
    }

    #[test]
    fn a_selection_naming_nothing_selects_everything_its_conditions_allow() {
        let everything = Selection::default();
        assert!(everything.selects(&resource(EFS, "EFS", &[])));
        let prod_only = Selection {
            conditions: vec![Condition::new(Operator::StringEquals, "env", "prod")],
            ..Selection::default()
        };
        assert!(prod_only.selects(&resource(RDS, "RDS", &[("env", "prod")])));
        assert!(!prod_only.selects(&resource(RDS, "RDS", &[("env", "dev")])));
    }

    #[test]
    fn an_opted_out_type_is_unprotected_whatever_the_plans_say() {
        let efs = resource(EFS, "EFS", &[]);
        let mut coverage = Coverage {
            selections: vec![by_resources(&["*"], &[])],
            opt_in: BTreeMap::new(),
        };
        assert_eq!(
            coverage.covering(&efs).len(),
            1,
            "absent from the opt-in map: opted in"
        );
        coverage.opt_in.insert("EFS".to_owned(), false);
        assert!(coverage.covering(&efs).is_empty());
        assert_eq!(coverage.covering(&resource(RDS, "RDS", &[])).len(), 1);
    }
}
