//! The `phoenix:*` tags operators put on their resources, and the one rule for reading a
//! tag's value: surrounding spaces and letter case do not matter (`True`, ` true ` and
//! `TRUE` all say yes), so every function reads a tag the same way.

/// `true`: the bucket holds data that must survive a rebuild (critical findings).
pub const DATA: &str = "phoenix:data";
/// `true`: the bucket holds Terraform state (its new versions are compared).
pub const TERRAFORM_STATE: &str = "phoenix:terraform-state";
/// `true`: the secret holds an encryption key (losing or regenerating it loses the data it
/// encrypts).
pub const ENCRYPTION_KEY: &str = "phoenix:encryption-key";
/// `false` (with [`REASON`]): a weakening of this resource's protection is intended.
pub const PROTECT: &str = "phoenix:protect";
/// Why an exemption ([`PROTECT`]`=false`, [`BACKUP`]`=exempt`) is intended.
pub const REASON: &str = "phoenix:reason";
/// `exempt` (with [`REASON`]): the resource needs no backup.
pub const BACKUP: &str = "phoenix:backup";
/// A duration (`26h`, `2d`) that overrides the RPO derived from the resource's plan.
pub const RPO: &str = "phoenix:rpo";
/// `true`: publish `HoursSinceLastCopy` for this resource (a custom metric each).
pub const COPY_METRIC: &str = "phoenix:copy-metric";

/// AWS Backup's own tag on a resource a restore test created: a scratch copy that restore
/// testing deletes when the validation window ends (its key is enough; the value is the
/// restore job's). Such a copy needs no backup and no protection, and its deletion is no
/// loss.
pub const RESTORE_TEST: &str = "awsbackup-restore-test";

/// Whether a tag's value says `expected`, by the one rule above.
pub fn says(value: Option<&str>, expected: &str) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// Whether a tag's value says yes (`true`).
pub fn is_true(value: Option<&str>) -> bool {
    says(value, "true")
}

/// A reason tag's text, or `None` when it is absent or blank.
pub fn reason(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_says_yes_whatever_its_case_and_surrounding_spaces() {
        for yes in ["true", "True", " TRUE ", "true\n"] {
            assert!(is_true(Some(yes)), "{yes:?}");
        }
        for no in ["", "yes", "1", "false", "truthy"] {
            assert!(!is_true(Some(no)), "{no:?}");
        }
        assert!(!is_true(None));
        assert!(says(Some(" Exempt"), "exempt"));
        assert_eq!(reason(Some("  ")), None);
        assert_eq!(reason(Some(" archived ")).as_deref(), Some("archived"));
    }
}
