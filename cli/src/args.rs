//! Command-line arguments, `phoenix.toml`, and how they combine with the environment:
//! a flag beats an environment variable, which beats `phoenix.toml`, which beats the default.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub const USAGE: &str = "\
phoenix: prove an AWS environment can be destroyed and rebuilt without losing data

Usage:
  phoenix verify [options]                 run the readiness audit, print the report
  phoenix verify --pre-destroy [options]   the gate to run before `terraform destroy`
  phoenix --help | --version

Exit status: 0 ready; 1 not ready (score below --min-score, a check unknown, or with
--pre-destroy something that would be lost); 2 a usage or configuration error.

Options:
  --pre-destroy          also require a completed recovery point of every data store
                         within --max-age and versioning on every data bucket, and list
                         exactly what a destroy would lose otherwise
  --max-age DURATION     newest recovery point allowed before a destroy (default 24h;
                         e.g. 6h, 2d, PT12H)
  --min-score N          the lowest score that passes, 0-100 (default 100)
  --format table|json    output: a table for people (default) or JSON for machines
  --environment NAME     the environment name in the report and metrics (PHOENIX_ENVIRONMENT)
  --region REGION        the AWS region to audit (AWS_REGION)
  --endpoint-url URL     send every AWS call to this endpoint (AWS_ENDPOINT_URL), e.g. a
                         local emulator
  --config FILE          settings file (default ./phoenix.toml when it exists)
  --no-color             no colours even on a terminal (also NO_COLOR=1)
  -h, --help             this text

Settings (flag, environment variable, or key in phoenix.toml):
  data_buckets             PHOENIX_DATA_BUCKETS            bucket name patterns whose data must survive
  state_buckets            PHOENIX_STATE_BUCKETS           bucket name patterns holding Terraform state
  encryption_key_secrets   PHOENIX_ENCRYPTION_KEY_SECRETS  secret name patterns holding encryption keys
  required_resource_types  PHOENIX_REQUIRED_RESOURCE_TYPES default EFS,RDS,Aurora,DynamoDB
  min_version_retention_days PHOENIX_MIN_VERSION_RETENTION_DAYS  default 30
  min_backup_retention_days  PHOENIX_MIN_BACKUP_RETENTION_DAYS   default 7
  restore_drill_days       PHOENIX_RESTORE_DRILL_DAYS      default 31
  recovery_time_minutes    PHOENIX_RECOVERY_TIME_MINUTES   default 15
  heartbeat_max_age_hours  PHOENIX_HEARTBEAT_MAX_AGE_HOURS default 2
  guard_prefix             PHOENIX_GUARD_PREFIX            default phoenix-guard
  metric_namespace         PHOENIX_METRIC_NAMESPACE        default PhoenixGuard
  backup_grace_hours       PHOENIX_BACKUP_GRACE_HOURS      default 1
Buckets and secrets are also recognised by the tags phoenix:data=true,
phoenix:terraform-state=true and phoenix:encryption-key=true.

Example phoenix.toml:
  environment = \"dev\"
  region = \"eu-west-1\"
  data_buckets = [\"cochlearis-dev-*-uploads\"]
  state_buckets = [\"cochlearis-dev-tfstate\"]
  min_score = 100
  [pre_destroy]
  max_age = \"24h\"
";

/// The `phoenix.toml` keys and the environment variables they stand for.
pub const SETTINGS: &[(&str, &str)] = &[
    ("environment", "PHOENIX_ENVIRONMENT"),
    ("region", "AWS_REGION"),
    ("endpoint_url", "AWS_ENDPOINT_URL"),
    ("data_buckets", "PHOENIX_DATA_BUCKETS"),
    ("state_buckets", "PHOENIX_STATE_BUCKETS"),
    ("encryption_key_secrets", "PHOENIX_ENCRYPTION_KEY_SECRETS"),
    ("required_resource_types", "PHOENIX_REQUIRED_RESOURCE_TYPES"),
    (
        "min_version_retention_days",
        "PHOENIX_MIN_VERSION_RETENTION_DAYS",
    ),
    (
        "min_backup_retention_days",
        "PHOENIX_MIN_BACKUP_RETENTION_DAYS",
    ),
    ("restore_drill_days", "PHOENIX_RESTORE_DRILL_DAYS"),
    ("recovery_time_minutes", "PHOENIX_RECOVERY_TIME_MINUTES"),
    ("heartbeat_max_age_hours", "PHOENIX_HEARTBEAT_MAX_AGE_HOURS"),
    ("guard_prefix", "PHOENIX_GUARD_PREFIX"),
    ("metric_namespace", "PHOENIX_METRIC_NAMESPACE"),
    ("backup_grace_hours", "PHOENIX_BACKUP_GRACE_HOURS"),
    ("account_id", "PHOENIX_ACCOUNT_ID"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Verify(Verify),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    pub pre_destroy: bool,
    pub max_age: Option<String>,
    pub min_score: Option<String>,
    pub format: Format,
    pub config: Option<PathBuf>,
    pub color: bool,
    /// Settings given as flags, by environment variable name.
    pub overrides: BTreeMap<String, String>,
}

/// A usage error, printed with a pointer to `--help`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (see phoenix --help)", self.0)
    }
}

/// Reads the arguments after the program name. `--flag value` and `--flag=value` both work.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some("verify") => {}
        Some(other) => return Err(UsageError(format!("unknown command {other:?}"))),
    }
    let mut verify = Verify {
        pre_destroy: false,
        max_age: None,
        min_score: None,
        format: Format::Table,
        config: None,
        color: true,
        overrides: BTreeMap::new(),
    };
    let rest: Vec<&String> = rest.collect();
    let mut i = 0;
    while i < rest.len() {
        match rest[i].as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--pre-destroy" => verify.pre_destroy = true,
            "--no-color" => verify.color = false,
            flag if flag.starts_with("--") => match flag.split_once('=') {
                Some((name, value)) => apply(&mut verify, name, value.to_owned())?,
                None if !VALUE_FLAGS.contains(&flag) => {
                    return Err(UsageError(format!("unknown option {flag}")));
                }
                None => {
                    let value = rest
                        .get(i + 1)
                        .ok_or_else(|| UsageError(format!("{flag} needs a value")))?;
                    apply(&mut verify, flag, (*value).clone())?;
                    i += 1;
                }
            },
            other => return Err(UsageError(format!("unexpected argument {other:?}"))),
        }
        i += 1;
    }
    Ok(Command::Verify(verify))
}

const VALUE_FLAGS: &[&str] = &[
    "--max-age",
    "--min-score",
    "--config",
    "--format",
    "--environment",
    "--region",
    "--endpoint-url",
];

fn apply(verify: &mut Verify, flag: &str, value: String) -> Result<(), UsageError> {
    match flag {
        "--max-age" => verify.max_age = Some(value),
        "--min-score" => verify.min_score = Some(value),
        "--config" => verify.config = Some(PathBuf::from(value)),
        "--format" => {
            verify.format = match value.as_str() {
                "table" | "text" => Format::Table,
                "json" => Format::Json,
                other => {
                    return Err(UsageError(format!(
                        "--format must be table or json, not {other:?}"
                    )));
                }
            }
        }
        "--environment" => {
            verify
                .overrides
                .insert("PHOENIX_ENVIRONMENT".to_owned(), value);
        }
        "--region" => {
            verify.overrides.insert("AWS_REGION".to_owned(), value);
        }
        "--endpoint-url" => {
            verify
                .overrides
                .insert("AWS_ENDPOINT_URL".to_owned(), value);
        }
        other => return Err(UsageError(format!("unknown option {other}"))),
    }
    Ok(())
}

/// `phoenix.toml` read into environment-variable names (lists joined with commas), plus
/// `min_score` and `[pre_destroy] max_age`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    pub env: BTreeMap<String, String>,
    pub min_score: Option<String>,
    pub max_age: Option<String>,
}

pub fn read_file_settings(text: &str) -> Result<FileSettings, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = FileSettings::default();
    for (key, value) in &doc {
        match key.as_str() {
            "min_score" => out.min_score = Some(scalar(key, value)?),
            "pre_destroy" => {
                let table = value
                    .as_table()
                    .ok_or_else(|| "pre_destroy must be a table ([pre_destroy])".to_owned())?;
                for (k, v) in table {
                    match k.as_str() {
                        "max_age" => out.max_age = Some(scalar(k, v)?),
                        other => return Err(format!("unknown key pre_destroy.{other}")),
                    }
                }
            }
            other => {
                let Some((_, env)) = SETTINGS.iter().find(|(k, _)| *k == other) else {
                    return Err(format!("unknown key {other:?}"));
                };
                let text = match value {
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|v| scalar(key, v))
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    v => scalar(key, v)?,
                };
                out.env.insert((*env).to_owned(), text);
            }
        }
    }
    Ok(out)
}

fn scalar(key: &str, value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!(
            "{key} must be a string, a number or a list of them"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn verify_reads_flags_in_both_spellings() {
        let Ok(Command::Verify(v)) = parse(&args(
            "verify --pre-destroy --max-age 6h --min-score=80 --format json --endpoint-url http://127.0.0.1:5000 --no-color",
        )) else {
            panic!("verify expected");
        };
        assert!(v.pre_destroy);
        assert!(!v.color);
        assert_eq!(v.max_age.as_deref(), Some("6h"));
        assert_eq!(v.min_score.as_deref(), Some("80"));
        assert_eq!(v.format, Format::Json);
        assert_eq!(
            v.overrides.get("AWS_ENDPOINT_URL").map(String::as_str),
            Some("http://127.0.0.1:5000")
        );
    }

    #[test]
    fn mistakes_are_usage_errors_that_name_the_problem() {
        assert_eq!(parse(&[]), Ok(Command::Help));
        assert_eq!(parse(&args("verify --help")), Ok(Command::Help));
        for (line, says) in [
            ("destroy", "unknown command"),
            ("verify --max-age", "--max-age needs a value"),
            ("verify --format yaml", "table or json"),
            ("verify --colour", "unknown option --colour"),
            ("verify now", "unexpected argument"),
        ] {
            let err = parse(&args(line)).expect_err(line);
            assert!(err.to_string().contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn the_settings_file_maps_to_the_environment_contract() {
        let file = read_file_settings(
            "environment = \"dev\"\ndata_buckets = [\"a-*\", \"b\"]\nrestore_drill_days = 14\nmin_score = 90\n[pre_destroy]\nmax_age = \"12h\"\n",
        )
        .expect("valid");
        assert_eq!(file.env["PHOENIX_ENVIRONMENT"], "dev");
        assert_eq!(file.env["PHOENIX_DATA_BUCKETS"], "a-*,b");
        assert_eq!(file.env["PHOENIX_RESTORE_DRILL_DAYS"], "14");
        assert_eq!(file.min_score.as_deref(), Some("90"));
        assert_eq!(file.max_age.as_deref(), Some("12h"));
        let err = read_file_settings("data_bucket = \"x\"").expect_err("typo");
        assert!(err.contains("data_bucket"), "{err}");
        assert!(read_file_settings("environment = [").is_err());
    }
}
