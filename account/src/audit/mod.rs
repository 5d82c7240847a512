//! The readiness audit: one read of the account ([`read`]), every item of the checklist
//! judged ([`checklist`]: pass, fail, or unknown with the reason) and scored 0-100
//! ([`report`]); [`predestroy`] answers what a destroy would lose now. The scheduled
//! `readiness-audit` function delivers it; the `phoenix` command line prints it.

pub mod checklist;
pub mod html;
pub mod predestroy;
pub mod read;
pub mod report;

use crate::freshness::{self, Judgement};
use phoenix_shared::{Config, Timestamp};
use read::{Clients, Facts};
use report::Report;

/// An audit's outcome: the report and what the freshness judgement concluded.
#[derive(Debug)]
pub struct Audit {
    pub facts: Facts,
    pub judgement: Judgement,
    pub report: Report,
}

/// Reads the account and judges the checklist (no writes anywhere).
pub async fn audit(
    clients: &Clients,
    config: &Config,
    account: Option<String>,
    at: Timestamp,
    this_function: Option<&str>,
) -> Audit {
    let scope = read::Scope {
        account,
        region: config.region().to_owned(),
        member: false,
        this_function,
    };
    audit_scope(clients, config, scope, at).await
}

/// The audit of one target of an organization (or the own account, `member: false`).
pub async fn audit_scope(
    clients: &Clients,
    config: &Config,
    scope: read::Scope<'_>,
    at: Timestamp,
) -> Audit {
    let mut facts = read::read(clients, config, scope, at).await;
    let protections = std::mem::take(&mut facts.protections);
    let judgement = freshness::judge(&facts.backups, protections, at);
    facts.copies.clone_from(&judgement.copies);
    let items = checklist::evaluate(&facts, &judgement.verdicts, config);
    let report = Report::new(config, &facts, items);
    Audit {
        facts,
        judgement,
        report,
    }
}
