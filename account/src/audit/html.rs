//! The readiness report as one self-contained HTML page: the score, each area as a bar, the
//! items not passing with their fixes, what a destroy would lose now, and the score's
//! history as a chart. Styles and the chart (SVG) are inline: the page makes no request of
//! its own, so it opens from S3, a mail attachment or a file as it is.

use crate::audit::checklist::{Area, Item, Status};
use crate::audit::report::{History, Report};
use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The colour of a score: red below 60, amber below 90, green from 90.
fn tone(score: u32) -> &'static str {
    match score {
        0..60 => "bad",
        60..90 => "fair",
        _ => "good",
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1d2430;background:#fff}\
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}\
.meta{color:#5b6676;margin:0 0 1.2rem}.score{font-size:3.2rem;font-weight:700}.good{color:#13795b}.fair{color:#a45d00}.bad{color:#b3261e}\
.area{display:grid;grid-template-columns:22rem 1fr 6rem;gap:.6rem;align-items:center;margin:.35rem 0}\
.bar{background:#eef1f5;border-radius:4px;height:.9rem;overflow:hidden}.fill{height:100%;background:#13795b}.fill.part{background:#a45d00}.fill.none{background:#b3261e}\
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #e6e9ef}\
th{background:#f6f7f9}code{font-size:.88em;background:#f2f4f7;padding:0 .2em;border-radius:3px;overflow-wrap:anywhere}\
td.check{white-space:nowrap}td.resource{min-width:12rem}\
.fail{color:#b3261e;font-weight:600}.unknown{color:#a45d00;font-weight:600}.ok{color:#13795b}svg text{font-size:11px;fill:#5b6676}";

/// The page for `report`, its score's `history` drawn as a chart.
pub fn render(report: &Report, history: &History) -> String {
    let mut out = String::new();
    let score = report.score;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Phoenix readiness {score}/100: {env}</title><style>{STYLE}</style></head><body>\n",
        env = esc(&report.environment)
    );
    let _ = write!(
        out,
        "<h1>Phoenix readiness</h1><p class=\"meta\">Environment <code>{}</code>, account <code>{}</code>, region <code>{}</code>, evaluated {}</p>\n\
         <p><span id=\"score\" class=\"score {}\">{score} / 100</span></p>\n",
        esc(&report.environment),
        esc(&report.account),
        esc(&report.region),
        report.evaluated_at,
        tone(score)
    );

    let _ = write!(out, "<h2>Areas</h2>\n<div id=\"areas\">\n");
    for (area, passed, total) in report.areas() {
        let percent = passed * 100 / total.max(1);
        let class = match passed {
            p if p == total => "fill",
            0 => "fill none",
            _ => "fill part",
        };
        let _ = writeln!(
            out,
            "<div class=\"area\"><span>{} <small>(weight {})</small></span>\
             <div class=\"bar\" role=\"img\" aria-label=\"{passed} of {total} passing\"><div class=\"{class}\" style=\"width:{percent}%\"></div></div>\
             <span>{passed} / {total}</span></div>",
            esc(area.title()),
            area.weight()
        );
    }
    out.push_str("</div>\n");

    let failing = report.failing();
    let _ = writeln!(out, "<h2>Not passing ({})</h2>", failing.len());
    if failing.is_empty() {
        out.push_str("<p id=\"failing\" class=\"ok\">Every check passes.</p>\n");
    } else {
        out.push_str(
            "<table id=\"failing\"><thead><tr><th>status</th><th>check</th><th>resource</th><th>what was found</th><th>fix</th></tr></thead><tbody>\n",
        );
        for item in failing {
            row(&mut out, item);
        }
        out.push_str("</tbody></table>\n");
    }

    let stores: Vec<&Item> = report
        .items
        .iter()
        .filter(|i| i.area == Area::Destroy)
        .collect();
    out.push_str("<h2>If each stack were destroyed now</h2>\n");
    if stores.is_empty() {
        out.push_str("<p id=\"destroy\">No Terraform state is known to the audit (PHOENIX_STATE_BUCKETS).</p>\n");
    } else {
        out.push_str(
            "<table id=\"destroy\"><thead><tr><th>store</th><th>type</th><th>verdict</th></tr></thead><tbody>\n",
        );
        for item in stores {
            let class = match item.status {
                Status::Pass => "ok",
                Status::Fail => "fail",
                Status::Unknown => "unknown",
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"{class}\">{}</td></tr>",
                esc(&item.name),
                esc(item.resource_type_label()),
                esc(&item.detail)
            );
        }
        out.push_str("</tbody></table>\n");
    }

    let warnings: Vec<(&Item, &str)> = report.warnings().collect();
    if !warnings.is_empty() {
        out.push_str("<h2>Warnings</h2>\n<ul>\n");
        for (item, warning) in warnings {
            let _ = writeln!(
                out,
                "<li>{} <code>{}</code>: {}</li>",
                esc(item.resource_type_label()),
                esc(&item.name),
                esc(warning)
            );
        }
        out.push_str("</ul>\n");
    }

    out.push_str("<h2>Score over time</h2>\n");
    out.push_str(&chart(history));
    out.push_str("\n</body></html>\n");
    out
}

fn row(out: &mut String, item: &Item) {
    let status = item.status.as_str();
    let _ = writeln!(
        out,
        "<tr><td class=\"{status}\">{}</td><td class=\"check\"><code>{}</code></td><td class=\"resource\">{} <code>{}</code></td><td>{}</td><td>{}</td></tr>",
        status.to_uppercase(),
        esc(item.check),
        esc(item.resource_type_label()),
        esc(&item.name),
        esc(&item.detail),
        esc(&item.fix)
    );
}

/// The history as an inline SVG line chart, 0–100 on the vertical axis.
fn chart(history: &History) -> String {
    let points = &history.scores;
    if points.len() < 2 {
        return format!(
            "<p id=\"history\">{} audit(s) so far: the chart starts with the second.</p>",
            points.len()
        );
    }
    const WIDTH: i64 = 720;
    const HEIGHT: i64 = 200;
    const LEFT: i64 = 36;
    const BOTTOM: i64 = 24;
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let span = last.seconds_since(first).max(1);
    let plot_w = WIDTH - LEFT - 8;
    let plot_h = HEIGHT - BOTTOM - 8;
    let mut line = String::new();
    let mut dots = String::new();
    for (at, score) in points {
        let x = LEFT + at.seconds_since(first) * plot_w / span;
        let y = 8 + plot_h - i64::from(*score) * plot_h / 100;
        let _ = write!(line, "{x},{y} ");
        // Each audit a dot while they are few enough to tell apart.
        if points.len() <= 60 {
            let _ = write!(
                dots,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#13795b\"><title>{at}: {score}</title></circle>"
            );
        }
    }
    let mut svg = format!(
        "<svg id=\"history\" role=\"img\" aria-label=\"score history, {} audits\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">",
        points.len()
    );
    for level in [0, 50, 100] {
        let y = 8 + plot_h - level * plot_h / 100;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#e6e9ef\"/><text x=\"4\" y=\"{}\">{level}</text>",
            WIDTH - 8,
            y + 4
        );
    }
    let _ = write!(
        svg,
        "<polyline fill=\"none\" stroke=\"#13795b\" stroke-width=\"2\" points=\"{}\"/>{dots}\
         <text x=\"{LEFT}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        line.trim_end(),
        HEIGHT - 6,
        first,
        WIDTH - 8,
        HEIGHT - 6,
        last
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use phoenix_shared::{Severity, Timestamp};

    fn item(area: Area, status: Status, name: &str, detail: &str, fix: &str) -> Item {
        Item {
            area,
            check: "bucket-unversioned",
            resource: format!("arn:aws:s3:::{name}"),
            resource_type: "S3Bucket".to_owned(),
            name: name.to_owned(),
            status,
            detail: detail.to_owned(),
            fix: fix.to_owned(),
            severity: Severity::Critical,
            also_resolves: &[],
            warning: None,
            command: String::new(),
        }
    }

    fn report() -> Report {
        Report {
            environment: "cochlearis-dev".to_owned(),
            account: "111122223333".to_owned(),
            region: "eu-west-1".to_owned(),
            evaluated_at: Timestamp::from_epoch_seconds(1_795_316_700),
            score: 38,
            items: vec![
                item(
                    Area::DataBuckets,
                    Status::Fail,
                    "zulip-uploads",
                    "versioning never enabled <script>alert(1)</script>",
                    "aws s3api put-bucket-versioning --bucket zulip-uploads --versioning-configuration Status=Enabled",
                ),
                item(
                    Area::DataBuckets,
                    Status::Pass,
                    "bookstack-uploads",
                    "versioned",
                    "",
                ),
                item(
                    Area::Destroy,
                    Status::Fail,
                    "cochlearis-dev-efs",
                    "lost: no recovery point within 24h",
                    "back it up",
                ),
            ],
        }
    }

    #[test]
    fn the_page_shows_the_score_the_areas_the_failures_with_fixes_and_what_a_destroy_loses() {
        let history = History::default()
            .with(Timestamp::from_epoch_seconds(1_795_300_000), 20)
            .with(Timestamp::from_epoch_seconds(1_795_316_700), 38);
        let page = render(&report(), &history);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(
            page.contains("<span id=\"score\" class=\"score bad\">38 / 100</span>"),
            "{page}"
        );
        assert!(page.contains("Data buckets versioned and retaining versions"));
        assert!(page.contains("1 / 2"));
        assert!(page.contains("<h2>Not passing (2)</h2>"));
        assert!(page.contains("put-bucket-versioning --bucket zulip-uploads"));
        assert!(page.contains("<code>cochlearis-dev-efs</code>"));
        assert!(page.contains("lost: no recovery point within 24h"));
        assert!(page.contains("<polyline"), "two audits draw a line");
        // Text is escaped, and nothing is fetched from anywhere.
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        for fetch in ["src=", "<link", "url(", "@import", "href="] {
            assert!(!page.contains(fetch), "the page requests nothing: {fetch}");
        }
    }

    #[test]
    fn a_first_audit_says_the_chart_starts_later_and_a_clean_one_says_every_check_passes() {
        let mut clean = report();
        clean.items.retain(|i| i.status == Status::Pass);
        clean.score = 100;
        let page = render(&clean, &History::default().with(clean.evaluated_at, 100));
        assert!(page.contains("class=\"score good\">100 / 100"));
        assert!(page.contains("Every check passes."));
        assert!(page.contains("1 audit(s) so far"));
        assert!(page.contains("No Terraform state is known"));
    }
}
