//! Command-line arguments (clap), `phoenix.toml`, and how they combine with the environment:
//! a flag beats an environment variable, which beats `phoenix.toml`, which beats the default.

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What `phoenix --help` says after the commands: exit status, settings, an example file.
const AFTER_HELP: &str = "\
Examples:
  phoenix verify                                   the readiness audit and its report
  phoenix check-plan plan.json --format markdown   what a plan would do to the data, before apply
  phoenix verify --pre-destroy --format table|json the gate to run before `terraform destroy`
  phoenix verify --format html > report.html       the readiness report as one self-contained page
  phoenix verify --pre-destroy --state s3://cochlearis-tfstate/dev/terraform.tfstate
                                                   what destroying that stack would lose
  phoenix verify --org --report-bucket phoenix-guard-org-reports
                                                   every account and region of the organization,
                                                   the least ready first (from the central account)
  phoenix completions bash > /etc/bash_completion.d/phoenix

Exit status: 0 ready; 1 not ready (score below --min-score, a check unknown, or with
--pre-destroy something that would be lost; for check-plan, data a change would lose or a
change that could not be judged); 2 a usage or configuration error, or a file that is not
a Terraform plan (for --state, not a Terraform state).

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
  require_copy             PHOENIX_REQUIRE_COPY            none|region|account|region-and-account, default region
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

/// phoenix: prove an AWS environment can be destroyed and rebuilt without losing data
#[derive(Debug, Parser)]
#[command(name = "phoenix", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Colours in the table: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE
    /// forces them), always or never
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true, value_name = "WHEN")]
    pub color: ColorWhen,
    /// No colours (the same as --color never)
    #[arg(long, global = true, hide = true)]
    pub no_color: bool,
    /// Log what the audit does to standard error (-v: progress, -vv: every AWS call)
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the readiness audit and print the report
    Verify(Verify),
    /// Judge a Terraform plan before it is applied: what each destroy or replacement of a
    /// data store would do to its data (lost, recoverable from what, blocked, unknown)
    CheckPlan(CheckPlan),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    /// The self-contained page readiness-audit stores as `latest.html`.
    Html,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Verify {
    /// Also require a completed recovery point of every data store within --max-age and
    /// versioning on every data bucket, and list exactly what a destroy would lose otherwise
    #[arg(long)]
    pub pre_destroy: bool,
    /// With --pre-destroy: judge a `terraform destroy` of the stack whose state this is, by
    /// the same rules as check-plan (a file, or s3://BUCKET/KEY)
    #[arg(long, value_name = "s3://BUCKET/KEY|FILE", requires = "pre_destroy")]
    pub state: Option<String>,
    /// The organization's readiness, from the central account: every (account, region)
    /// target's latest report in the report bucket, the least ready first
    #[arg(long, conflicts_with = "pre_destroy")]
    pub org: bool,
    /// With --org: the report bucket the central readiness-audit writes to
    #[arg(
        long,
        value_name = "BUCKET",
        env = "PHOENIX_REPORT_BUCKET",
        hide_env_values = true
    )]
    pub report_bucket: Option<String>,
    /// Newest recovery point allowed before a destroy (default 24h; e.g. 6h, 2d, PT12H)
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// The lowest score that passes, 0-100 (default 100)
    #[arg(long, value_name = "N")]
    pub min_score: Option<String>,
    /// Output: a table for people or JSON for machines
    #[arg(long, value_name = "table|json|html", default_value = "table", value_parser = format)]
    pub format: Format,
    /// The environment name in the report and metrics
    #[arg(
        long,
        value_name = "NAME",
        env = "PHOENIX_ENVIRONMENT",
        hide_env_values = true
    )]
    pub environment: Option<String>,
    #[command(flatten)]
    pub reach: Reach,
}

/// Where the account is and where the settings are: the same flags for every command that
/// reads the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct Reach {
    /// The AWS region to read
    #[arg(long, env = "AWS_REGION", hide_env_values = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint, e.g. a local emulator
    #[arg(
        long,
        value_name = "URL",
        env = "AWS_ENDPOINT_URL",
        hide_env_values = true
    )]
    pub endpoint_url: Option<String>,
    /// Settings file (default ./phoenix.toml when it exists)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Output of `check-plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Table,
    Json,
    /// A table fit for a pull request comment.
    Markdown,
}

fn plan_format(value: &str) -> Result<PlanFormat, String> {
    match value {
        "table" | "text" => Ok(PlanFormat::Table),
        "json" => Ok(PlanFormat::Json),
        "markdown" | "md" => Ok(PlanFormat::Markdown),
        other => Err(format!(
            "--format must be table, json or markdown, not {other:?}"
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CheckPlan {
    /// The plan as JSON (terraform plan -out=PLANFILE; terraform show -json PLANFILE > plan.json); - reads standard input
    #[arg(value_name = "PLAN_JSON")]
    pub plan: String,
    /// Output: a table for people, JSON for machines, Markdown for a pull request comment
    #[arg(long, value_name = "table|json|markdown", default_value = "table", value_parser = plan_format)]
    pub format: PlanFormat,
    /// Oldest recovery point that still counts as a restore source (default 24h; e.g. 6h, 2d)
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    #[command(flatten)]
    pub reach: Reach,
}

impl CheckPlan {
    /// The settings `verify` would read with the same flags.
    pub fn settings_of(&self) -> Verify {
        Verify {
            pre_destroy: false,
            state: None,
            org: false,
            report_bucket: None,
            max_age: self.max_age.clone(),
            min_score: None,
            format: Format::Table,
            environment: None,
            reach: self.reach.clone(),
        }
    }
}

fn format(value: &str) -> Result<Format, String> {
    match value {
        "table" | "text" => Ok(Format::Table),
        "json" => Ok(Format::Json),
        "html" => Ok(Format::Html),
        other => Err(format!(
            "--format must be table, json or html, not {other:?}"
        )),
    }
}

impl Verify {
    /// The settings given as flags (or their environment variables), by environment
    /// variable name; blank values count as not given.
    pub fn overrides(&self) -> BTreeMap<String, String> {
        [
            ("PHOENIX_ENVIRONMENT", &self.environment),
            ("PHOENIX_REPORT_BUCKET", &self.report_bucket),
            ("AWS_REGION", &self.reach.region),
            ("AWS_ENDPOINT_URL", &self.reach.endpoint_url),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.as_deref()?.trim();
            (!value.is_empty()).then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
    }
}

impl Cli {
    /// Whether the table is coloured: the flag, else `NO_COLOR` (any non-empty value) turns
    /// colours off, else `CLICOLOR_FORCE` (non-empty, not `0`) turns them on, else only on a
    /// terminal.
    pub fn colored(&self, env: impl Fn(&str) -> Option<String>, terminal: bool) -> bool {
        let set = |name: &str| env(name).filter(|v| !v.is_empty());
        match (self.no_color, self.color) {
            (true, _) | (_, ColorWhen::Never) => false,
            (_, ColorWhen::Always) => true,
            (_, ColorWhen::Auto) if set("NO_COLOR").is_some() => false,
            (_, ColorWhen::Auto) if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
            (_, ColorWhen::Auto) => terminal,
        }
    }
}

/// A usage error as one line: clap's first line without its `error: ` prefix.
pub fn one_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    // "the following required arguments were not provided:" lists them on the lines below.
    if line.ends_with(':') {
        let listed: Vec<&str> = lines
            .take_while(|l| l.starts_with(' '))
            .map(str::trim)
            .collect();
        line = format!("{} {}", line, listed.join(", "));
    }
    line
}

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
    ("require_copy", "PHOENIX_REQUIRE_COPY"),
    ("guard_prefix", "PHOENIX_GUARD_PREFIX"),
    ("metric_namespace", "PHOENIX_METRIC_NAMESPACE"),
    ("backup_grace_hours", "PHOENIX_BACKUP_GRACE_HOURS"),
    ("account_id", "PHOENIX_ACCOUNT_ID"),
];

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
    use clap::CommandFactory;

    fn parse(text: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("phoenix").chain(text.split_whitespace()))
    }

    fn verify(cli: &Cli) -> &Verify {
        match &cli.command {
            Command::Verify(v) => v,
            other => panic!("verify expected, got {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn verify_reads_flags_in_both_spellings() {
        let cli = parse(
            "verify --pre-destroy --max-age 6h --min-score=80 --format json --endpoint-url http://127.0.0.1:5000 --no-color",
        )
        .expect("valid");
        let v = verify(&cli);
        assert!(v.pre_destroy);
        assert!(!cli.colored(|_| None, true));
        assert_eq!(v.max_age.as_deref(), Some("6h"));
        assert_eq!(v.min_score.as_deref(), Some("80"));
        assert_eq!(v.format, Format::Json);
        assert_eq!(
            v.overrides().get("AWS_ENDPOINT_URL").map(String::as_str),
            Some("http://127.0.0.1:5000")
        );
        let cli = parse("-vv verify --color always").expect("valid");
        assert_eq!(cli.verbose, 2);
        assert!(cli.colored(|_| Some("1".to_owned()), false));
    }

    #[test]
    fn state_needs_pre_destroy_and_the_one_line_names_it() {
        let cli = parse("verify --pre-destroy --state s3://b/terraform.tfstate").expect("valid");
        assert_eq!(
            verify(&cli).state.as_deref(),
            Some("s3://b/terraform.tfstate")
        );
        let err =
            parse("verify --state s3://b/terraform.tfstate").expect_err("needs --pre-destroy");
        assert_eq!(
            one_line(&err),
            "the following required arguments were not provided: --pre-destroy"
        );
    }

    #[test]
    fn colours_follow_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        let auto = parse("verify").expect("valid");
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(auto.colored(env(&[]), true));
        assert!(!auto.colored(env(&[]), false));
        assert!(!auto.colored(env(&[("NO_COLOR", "1")]), true));
        assert!(
            auto.colored(env(&[("NO_COLOR", "")]), true),
            "empty NO_COLOR is unset"
        );
        assert!(auto.colored(env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!auto.colored(env(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!auto.colored(env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]), true));
        let never = parse("verify --color never").expect("valid");
        assert!(!never.colored(env(&[("CLICOLOR_FORCE", "1")]), true));
    }

    #[test]
    fn mistakes_are_usage_errors_that_name_the_problem() {
        for (line, says) in [
            ("destroy", "unrecognized subcommand 'destroy'"),
            (
                "verify --max-age",
                "a value is required for '--max-age <DURATION>'",
            ),
            (
                "verify --format yaml",
                "--format must be table, json or html",
            ),
            ("verify --colour", "unexpected argument '--colour'"),
            ("verify now", "unexpected argument 'now'"),
            ("completions tcsh", "invalid value 'tcsh'"),
        ] {
            let err = parse(line).expect_err(line);
            let text = one_line(&err);
            assert!(text.contains(says), "{line}: {text}");
            assert!(!text.contains('\n'), "{line}: one line");
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
