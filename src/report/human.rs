//! `-o human`: rustc/ruff-style diagnostics with the offending source line, then a summary line.

use std::collections::HashMap;
use std::io::{self, Write};

use owo_colors::{OwoColorize, Style};

use crate::engine::LintResult;
use crate::rules::Severity;

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => Style::new().red().bold(),
            Severity::Warning => Style::new().yellow().bold(),
            Severity::Info => Style::new().cyan().bold(),
        }
    }
}

/// Lines of the inputs, read when a diagnostic needs them. Diagnostics come sorted by file, so only
/// the current file is kept: a report over a large repository never holds all of its text.
struct Lines<'a> {
    result: &'a LintResult,
    sources: HashMap<&'a str, usize>,
    current: Option<(String, Option<Source>)>,
}

/// A file's text and where each of its lines starts and ends.
struct Source {
    text: String,
    lines: Vec<(usize, usize)>,
}

impl Source {
    fn new(text: String) -> Self {
        let lines = crate::load::line_spans(text.as_bytes());
        Source { text, lines }
    }
}

impl<'a> Lines<'a> {
    fn new(result: &'a LintResult) -> Self {
        let mut sources = HashMap::new();
        for (i, s) in result.sources.iter().enumerate() {
            sources.entry(s.name.as_str()).or_insert(i);
        }
        Lines {
            result,
            sources,
            current: None,
        }
    }

    fn line(&mut self, file: &str, line: u32) -> Option<String> {
        if self.current.as_ref().is_none_or(|(name, _)| name != file) {
            let source = self.sources.get(file).map(|&i| &self.result.sources[i]);
            let text = source.and_then(|s| match &s.stdin_text {
                Some(t) => Some(t.clone()),
                None => std::fs::read_to_string(file).ok(),
            });
            self.current = Some((file.to_string(), text.map(Source::new)));
        }
        let source = self.current.as_ref()?.1.as_ref()?;
        let &(start, end) = source.lines.get(line.checked_sub(1)? as usize)?;
        Some(source.text[start..end].to_string())
    }
}

/// Write the report.
pub fn write(result: &LintResult, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let p = Painter { color };
    let blue = Style::new().blue().bold();
    let bold = Style::new().bold();
    for e in &result.input_errors {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
            _ => e.file.clone(),
        };
        writeln!(
            out,
            "{}: {}: {}",
            p.paint("input error", Style::new().red().bold()),
            p.paint(&at, bold),
            e.message
        )?;
    }
    if !result.input_errors.is_empty() && !result.diagnostics.is_empty() {
        writeln!(out)?;
    }
    let mut lines = Lines::new(result);
    for d in &result.diagnostics {
        let head = format!("{}[{}]", d.severity.as_str(), d.rule);
        writeln!(
            out,
            "{}: {}",
            p.paint(&head, p.severity(d.severity)),
            p.paint(&d.message, bold)
        )?;
        let loc = if d.location.is_live() {
            format!("{} {}", d.location.file, d.location.pointer)
        } else {
            format!(
                "{}:{}:{}",
                d.location.file, d.location.line, d.location.column
            )
        };
        let num = d.location.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(out, "{pad}{} {loc}", p.paint("-->", blue))?;
        let excerpt = (!d.location.is_live())
            .then(|| lines.line(&d.location.file, d.location.line))
            .flatten();
        if let Some(text) = excerpt {
            let bar = p.paint("|", blue);
            let mut text = text.replace('\t', " ");
            let mut col = (d.location.column as usize).saturating_sub(1);
            // Never echo Secret data, even a certificate: show the key, not the value. A line in flow
            // style (`{…}`, compact JSON) can hold data beside any node of the Secret: hide all of it.
            if d.object.kind == "Secret" {
                if text.contains(['{', '}', '[', ']', ',']) {
                    text = "<redacted>".into();
                    col = 0;
                } else {
                    let segments: Vec<&str> = d.location.pointer.split('/').collect();
                    let data = segments
                        .iter()
                        .position(|s| *s == "data" || *s == "stringData");
                    let head: String = text.chars().take(col).collect();
                    let rest: String = text.chars().skip(col).collect();
                    match data {
                        // Inside the data: nothing from the reported key on.
                        Some(i) if i + 1 < segments.len() => text = head + "<redacted>",
                        // The data map itself: its key, not a value on the same line.
                        Some(_) => {
                            if let Some((key, value)) = rest.split_once(':')
                                && !value.trim().is_empty()
                            {
                                text = format!("{head}{key}: <redacted>");
                            }
                        }
                        None => {}
                    }
                }
            }
            // A caBundle or certificate is one very long line: show its start only.
            if text.chars().count() > col + 200 {
                text = text.chars().take(col + 160).collect::<String>() + "…";
            }
            let rest: String = text.chars().skip(col).collect();
            let width = rest
                .split_whitespace()
                .next()
                .map_or(1, |w| w.chars().count().clamp(1, 60));
            writeln!(out, "{pad} {bar}")?;
            writeln!(out, "{} {bar} {text}", p.paint(&num, blue))?;
            let marker = format!("{}{}", " ".repeat(col), "^".repeat(width));
            writeln!(
                out,
                "{pad} {bar} {}",
                p.paint(&marker, p.severity(d.severity))
            )?;
        }
        writeln!(
            out,
            "{pad} {} object: {} ({})",
            p.paint("=", blue),
            d.object.display(),
            d.name
        )?;
        if !d.related.is_empty() {
            let related: Vec<String> = d.related.iter().map(|r| r.display()).collect();
            writeln!(
                out,
                "{pad} {} related: {}",
                p.paint("=", blue),
                related.join(", ")
            )?;
        }
        if !d.help.is_empty() {
            writeln!(
                out,
                "{pad} {} {}: {}",
                p.paint("=", blue),
                p.paint("help", bold),
                d.help
            )?;
        }
        writeln!(out)?;
    }
    let (error, warning, info) = super::counts(result);
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut summary = format!(
        "{}, {}, {} in {} ({})",
        plural(error, "error"),
        plural(warning, "warning"),
        plural(info, "info"),
        plural(result.sources.len(), "file"),
        plural(result.objects, "object"),
    );
    if result.suppressed > 0 {
        summary.push_str(&format!("; {} suppressed", result.suppressed));
    }
    if !result.input_errors.is_empty() {
        summary.push_str(&format!(
            "; {}",
            plural(result.input_errors.len(), "input error")
        ));
    }
    let style = if error > 0 || !result.input_errors.is_empty() {
        Style::new().red().bold()
    } else if warning > 0 {
        Style::new().yellow().bold()
    } else {
        Style::new().green().bold()
    };
    writeln!(out, "{}", p.paint(&summary, style))
}

#[cfg(test)]
mod tests {
    use super::Source;

    fn lines(text: &str) -> Vec<&str> {
        let s = Source::new(text.to_string());
        s.lines.iter().map(|&(a, b)| &text[a..b]).collect()
    }

    #[test]
    fn lines_end_as_the_yaml_parser_ends_them() {
        assert_eq!(lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(lines("a\r\r\nb\n"), ["a", "", "b", ""]);
        assert_eq!(lines(""), [""]);
        assert_eq!(lines("\r"), ["", ""]);
    }
}
