//! `phoenix`: the readiness audit on demand, from a terminal or CI. Read-only: it pages
//! nobody and records nothing; it prints the report and says, by its exit status, whether
//! the environment is ready.

mod args;
mod check_plan;
mod render;

use args::{CheckPlan, Cli, Command, Format, Verify};
use clap::{CommandFactory, Parser};
use phoenix_account::audit::predestroy::{self, Contents};
use phoenix_account::audit::read::{Clients, Read};
use phoenix_account::schedule::parse_duration;
use phoenix_shared::Config;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::process::ExitCode;

const READY: u8 = 0;
const NOT_READY: u8 = 1;
const USAGE: u8 = 2;

fn main() -> ExitCode {
    if std::env::args_os().len() <= 1 {
        // No command at all: the help, as a question answered (not a mistake).
        print!("{}", Cli::command().render_long_help());
        return ExitCode::from(READY);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help, --version: clap's own text, exit 0 (a closed pipe is no error here).
            let _ = err.print();
            return ExitCode::from(READY);
        }
        Err(err) => {
            eprintln!("phoenix: {} (see phoenix --help)", args::one_line(&err));
            return ExitCode::from(USAGE);
        }
    };
    let job = match &cli.command {
        Command::Completions { shell } => {
            // Rendered first, then written: a closed pipe (`| head`) ends the output quietly.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "phoenix", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), &script);
            return ExitCode::from(READY);
        }
        Command::Verify(verify) => Job::Verify(verify.clone()),
        Command::CheckPlan(check) => Job::CheckPlan(check.clone()),
    };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            lambda_runtime::tracing::Level::DEBUG
        } else {
            lambda_runtime::tracing::Level::INFO
        };
        lambda_runtime::tracing::subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(level)
            .with_target(cli.verbose > 1)
            .init();
    }
    let color = cli.colored(
        |name| std::env::var(name).ok(),
        std::io::stdout().is_terminal(),
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("phoenix: cannot start: {err}");
            return ExitCode::from(USAGE);
        }
    };
    ExitCode::from(runtime.block_on(async {
        match job {
            Job::Verify(verify) => run(verify, color).await,
            Job::CheckPlan(check) => check_plan(check, color, cli.verbose > 0).await,
        }
    }))
}

/// What the command line was asked to do, once parsed.
enum Job {
    Verify(Verify),
    CheckPlan(CheckPlan),
}

/// The SDK configuration for the settings' region and endpoint, and the settings with the
/// region filled in; `Err` is the exit status, its one line already printed.
async fn connect(settings: Settings) -> Result<(aws_config::SdkConfig, Settings), u8> {
    let mut loader = phoenix_shared::aws::sweep_loader();
    if let Some(region) = &settings.config.aws_region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        eprintln!(
            "phoenix: configuration error: no AWS region (use --region, AWS_REGION or region in phoenix.toml)"
        );
        return Err(USAGE);
    }
    let mut settings = settings;
    if settings.config.aws_region.is_none() {
        settings.config.aws_region = sdk.region().map(ToString::to_string);
    }
    Ok((sdk, settings))
}

async fn check_plan(check: CheckPlan, color: bool, verbose: bool) -> u8 {
    let settings = match settings_or_usage(&check.settings_of()) {
        Ok(s) => s,
        Err(status) => return status,
    };
    // The plan first: a file that is not a plan is a usage error before any AWS call.
    let plan = match check_plan::read_plan(&check.plan, verbose) {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("phoenix: {err}");
            return USAGE;
        }
    };
    let (sdk, settings) = match connect(settings).await {
        Ok(connected) => connected,
        Err(status) => return status,
    };
    let clients = Clients::current(&sdk);
    let facts = phoenix_account::gate::read::facts(
        &clients,
        &plan,
        phoenix_shared::Timestamp::now(),
        settings.max_age,
    )
    .await;
    let mut judged = phoenix_account::gate::judge(&plan, &facts, &settings.config);
    if verbose {
        check_plan::add_harmless(&plan, &mut judged);
    }
    check_plan::report(&check, &plan, &judged, settings.max_age, color)
}

/// The destroy of the stack whose state is at `source` (`s3://BUCKET/KEY`); `Err` is the
/// exit status, its one line printed: 2 for a location or a file that is not a state, 1 when
/// the object could not be read (nothing was judged).
async fn read_s3_state(
    clients: &Clients,
    source: &str,
) -> Result<phoenix_terraform::plan::Plan, u8> {
    let Some((bucket, key)) = check_plan::s3_location(source) else {
        eprintln!("phoenix: --state {source:?} is neither a file nor s3://BUCKET/KEY");
        return Err(USAGE);
    };
    match phoenix_account::states::destroy_of(clients.s3(), bucket, key).await {
        Ok(Ok(destroy)) => Ok(destroy),
        Ok(Err(unusable)) => {
            eprintln!("phoenix: {source}: {unusable}");
            Err(USAGE)
        }
        Err(failure) => {
            eprintln!(
                "phoenix: {source}: the state could not be read ({failure}); nothing was judged"
            );
            Err(NOT_READY)
        }
    }
}

/// Settings resolved from flags, the environment and `phoenix.toml`.
struct Settings {
    config: Config,
    endpoint: Option<String>,
    min_score: u32,
    max_age: i64,
}

fn settings(verify: &Verify) -> Result<Settings, String> {
    let path = verify.reach.config.clone().or_else(|| {
        let default = std::path::PathBuf::from("phoenix.toml");
        default.exists().then_some(default)
    });
    let file = match &path {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            args::read_file_settings(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => args::FileSettings::default(),
    };
    let overrides = verify.overrides();
    let lookup = |name: &str| -> Option<String> {
        overrides
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .or_else(|| file.env.get(name).cloned())
    };
    let config = Config::for_checks(|name| match name {
        // The region may come from the usual AWS variables too.
        "AWS_REGION" => lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION")),
        other => lookup(other),
    })
    .map_err(|e| e.to_string())?;
    let min_score = match verify.min_score.clone().or(file.min_score.clone()) {
        None => 100,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if n <= 100 => n,
            _ => {
                return Err(format!(
                    "--min-score must be a whole number from 0 to 100, not {text:?}"
                ));
            }
        },
    };
    let max_age = match verify.max_age.clone().or(file.max_age.clone()) {
        None => 24 * 3600,
        Some(text) => parse_duration(&text)
            .map_err(|e| format!("--max-age {text:?} is not a duration such as 24h or 2d: {e}"))?,
    };
    Ok(Settings {
        endpoint: lookup("AWS_ENDPOINT_URL"),
        config,
        min_score,
        max_age,
    })
}

/// [`settings`], or the exit status after printing why they cannot be used (one line).
fn settings_or_usage(verify: &Verify) -> Result<Settings, u8> {
    settings(verify).map_err(|err| {
        eprintln!("phoenix: configuration error: {err}");
        USAGE
    })
}

/// Shows that a long audit is alive, on a terminal only.
fn progress(enabled: bool) -> Option<tokio::task::JoinHandle<()>> {
    if !enabled {
        return None;
    }
    Some(tokio::spawn(async {
        let started = std::time::Instant::now();
        let frames = ['|', '/', '-', '\\'];
        let mut n = 0usize;
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            n += 1;
            eprint!(
                "\r{} reading the account... {:.1}s ",
                frames[n % frames.len()],
                started.elapsed().as_secs_f64()
            );
        }
    }))
}

async fn run(verify: Verify, color: bool) -> u8 {
    let settings = match settings_or_usage(&verify) {
        Ok(s) => s,
        Err(status) => return status,
    };
    // A state file that is not a state is a usage error before any AWS call.
    let state_file = match verify.state.as_deref() {
        Some(source) if !source.starts_with("s3://") => match check_plan::read_state_file(source) {
            Ok(destroy) => Some(destroy),
            Err(err) => {
                eprintln!("phoenix: {err}");
                return USAGE;
            }
        },
        _ => None,
    };
    let (sdk, settings) = match connect(settings).await {
        Ok(connected) => connected,
        Err(status) => return status,
    };
    let config = settings.config.clone();
    let clients = Clients::current(&sdk);
    if verify.org {
        return organization(&clients, &config, &settings, verify.format).await;
    }
    let destroy = match (&verify.state, state_file) {
        (Some(_), Some(destroy)) => Some(destroy),
        (Some(source), None) => match read_s3_state(&clients, source).await {
            Ok(destroy) => Some(destroy),
            Err(status) => return status,
        },
        (None, _) => None,
    };

    let ticker = progress(std::io::stderr().is_terminal() && verify.format == Format::Table);
    let audit = phoenix_account::audit::audit(
        &clients,
        &config,
        config.account_id.clone(),
        phoenix_shared::Timestamp::now(),
        None,
    )
    .await;
    let gate = match destroy {
        Some(destroy) => {
            let facts = phoenix_account::gate::read::facts(
                &clients,
                &destroy,
                phoenix_shared::Timestamp::now(),
                settings.max_age,
            )
            .await;
            let judged = phoenix_account::gate::judge(&destroy, &facts, &config);
            Some((destroy, judged))
        }
        None => None,
    };
    // Without a state, the account's own data stores stand for what a destroy would take.
    let pre_destroy = if verify.pre_destroy && gate.is_none() {
        let mut sizes: HashMap<String, Read<Contents>> = HashMap::new();
        if let Ok(buckets) = &audit.facts.buckets {
            for bucket in buckets.iter().filter(|b| b.data) {
                if !matches!(
                    bucket.versioning,
                    Ok(phoenix_account::audit::read::Versioning::Enabled)
                ) {
                    sizes.insert(
                        bucket.name.clone(),
                        predestroy::contents(&clients, &bucket.name).await,
                    );
                }
            }
        }
        Some(predestroy::losses(&audit, settings.max_age, &|name| {
            sizes.get(name).cloned()
        }))
    } else {
        None
    };
    if let Some(ticker) = ticker {
        ticker.abort();
        eprint!("\r{:40}\r", "");
    }

    let report = &audit.report;
    let below = report.score < settings.min_score;
    let unknown = report.unknown() > 0;
    let losing = pre_destroy.as_ref().is_some_and(|(l, _)| !l.is_empty())
        || gate
            .as_ref()
            .is_some_and(|(destroy, judged)| !check_plan::safe(destroy, judged));
    let ready = !below && !unknown && !losing;
    match verify.format {
        Format::Html => {
            // The score's history from the report bucket, when there is one.
            let mut history = phoenix_account::audit::report::History::default();
            if let Some(bucket) = config.report_bucket.as_deref() {
                let key = format!("readiness/{}/history.json", config.environment);
                match phoenix_account::audit::read::history(clients.s3(), bucket, &key).await {
                    Ok(stored) => history = stored,
                    Err(why) => eprintln!("phoenix: the score history is left out: {why}"),
                }
            }
            let history = history.with(report.evaluated_at, report.score);
            print!("{}", phoenix_account::audit::html::render(report, &history));
        }
        Format::Json => {
            let mut doc = report.to_json();
            doc["minScore"] = json!(settings.min_score);
            doc["ready"] = json!(ready);
            if let Some((losses, notes)) = &pre_destroy {
                doc["preDestroy"] = json!({
                    "maxAge": phoenix_account::schedule::format_duration(settings.max_age),
                    "safe": losses.is_empty(),
                    "wouldLose": losses.iter().map(predestroy::Loss::to_json).collect::<Vec<_>>(),
                    "notes": notes,
                });
            }
            if let (Some((destroy, judged)), Some(source)) = (&gate, &verify.state) {
                let mut gate = check_plan::to_json(destroy, judged, settings.max_age);
                gate["state"] = json!(source);
                doc["preDestroy"] = gate;
            }
            println!("{doc:#}");
        }
        Format::Table => {
            let mut reasons: BTreeMap<&str, String> = BTreeMap::new();
            if below {
                reasons.insert(
                    "score",
                    format!(
                        "score {} is below --min-score {}",
                        report.score, settings.min_score
                    ),
                );
            }
            if unknown {
                reasons.insert(
                    "unknown",
                    format!("{} check(s) could not run", report.unknown()),
                );
            }
            print!(
                "{}",
                render::table(
                    report,
                    pre_destroy.as_ref(),
                    settings.max_age,
                    &reasons,
                    color
                )
            );
            if let (Some((destroy, judged)), Some(source)) = (&gate, &verify.state) {
                print!(
                    "\n{}",
                    check_plan::table(
                        &format!("terraform destroy of {source}"),
                        destroy,
                        judged,
                        settings.max_age,
                        color
                    )
                );
            }
        }
    }
    if ready { READY } else { NOT_READY }
}

/// `verify --org`: the targets' latest reports in the report bucket, the least ready first.
/// Ready when every target was read and scores at least `--min-score`.
async fn organization(
    clients: &Clients,
    config: &Config,
    settings: &Settings,
    format: Format,
) -> u8 {
    let Some(bucket) = config.report_bucket.as_deref() else {
        eprintln!(
            "phoenix: configuration error: --org needs --report-bucket (PHOENIX_REPORT_BUCKET), the bucket the central readiness-audit writes to"
        );
        return USAGE;
    };
    let environment = config.environment.as_str();
    let rollup = match phoenix_account::rollup::read(clients.s3(), bucket, environment).await {
        Ok(rollup) => rollup,
        Err(failure) => {
            eprintln!("phoenix: the organization's reports could not be read: {failure}");
            return NOT_READY;
        }
    };
    let ready = !rollup.targets.is_empty()
        && rollup.unreadable.is_empty()
        && rollup
            .targets
            .iter()
            .all(|t| t.reachable && t.score >= settings.min_score);
    match format {
        Format::Json => {
            let mut doc = rollup.to_json();
            doc["environment"] = json!(environment);
            doc["minScore"] = json!(settings.min_score);
            doc["ready"] = json!(ready);
            println!("{doc:#}");
        }
        Format::Table | Format::Html => {
            print!("{}", render::organization(&rollup, environment, bucket));
        }
    }
    if ready { READY } else { NOT_READY }
}
