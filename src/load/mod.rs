//! Reading the input: walk paths, read files and stdin, parse YAML/JSON into positioned trees, and turn
//! everything that goes wrong into an [`InputError`] with a location, never a panic.

pub mod intern;
pub mod node;
pub mod scalar;
pub mod walk;
pub mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use node::{Entry, Node, Pos, Scalar, ScalarType, Text, Value};
pub use walk::{Input, walk};
pub use yaml::{Document, Limits, Stream, parse_stream};

/// Something in the input that could not be read: reported with the file (and line, when known), and
/// never stops the other inputs from being linted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}:{}", column.unwrap_or(1))).unwrap_or_default())]
pub struct InputError {
    /// The file as given (or `-` for stdin, or `cluster/<context>` in live mode).
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<u32>,
    /// 1-based column, when the problem has one.
    pub column: Option<u32>,
    /// What went wrong and, where possible, what to do.
    pub message: String,
}

impl InputError {
    /// An error about a whole file.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error at a position in a file.
    pub fn at(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: Some(pos.line),
            column: Some(pos.col),
            message: message.into(),
        }
    }
}

/// One parsed input file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (joined with the relative path below a directory), or `-`.
    pub name: String,
    /// The documents read.
    pub documents: Vec<Document>,
    /// The text, kept only for stdin and in-memory input (files are re-read for snippets when a
    /// finding needs one).
    pub stdin_text: Option<String>,
}

/// Read one input and parse it. The error list holds every problem found (a file can both yield
/// documents and have an error in a later document).
pub fn load_input(input: &Input, limits: Limits) -> (Option<SourceFile>, Vec<InputError>) {
    let name = input.display();
    let bytes = match read_input(input, limits) {
        Ok(b) => b,
        Err(e) => return (None, vec![InputError::file(name, e)]),
    };
    let text = match decode(&bytes) {
        Ok(t) => t,
        Err((pos, msg)) => return (None, vec![InputError::at(name, pos, msg)]),
    };
    let stream = parse_stream(text, limits);
    let errors = stream
        .errors
        .into_iter()
        .map(|e| {
            InputError::at(
                name.clone(),
                e.pos,
                format!("cannot parse YAML: {}", e.message),
            )
        })
        .collect();
    let stdin_text = matches!(input, Input::Stdin | Input::Bytes { .. }).then(|| text.to_string());
    (
        Some(SourceFile {
            name,
            documents: stream.documents,
            stdin_text,
        }),
        errors,
    )
}

fn read_input(input: &Input, limits: Limits) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    match input {
        Input::Stdin => {
            std::io::stdin()
                .lock()
                .take(limits.max_file_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
        }
        Input::Bytes { bytes: text, .. } => {
            bytes = text
                .iter()
                .take(limits.max_file_bytes as usize + 1)
                .copied()
                .collect();
        }
        Input::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| describe_io(path, &e))?;
            let meta = file.metadata().map_err(|e| describe_io(path, &e))?;
            if meta.is_dir() {
                return Err("is a directory".into());
            }
            file.take(limits.max_file_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| describe_io(path, &e))?;
        }
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(format!(
            "larger than {} bytes (limit `limits.maxFileBytes` in .tlscheck.yaml); split it or raise the limit",
            limits.max_file_bytes
        ));
    }
    Ok(bytes)
}

fn describe_io(path: &Path, e: &std::io::Error) -> String {
    let hint = match e.kind() {
        std::io::ErrorKind::NotFound => " (check the path)",
        std::io::ErrorKind::PermissionDenied => " (check the file's permissions)",
        _ if e.raw_os_error() == Some(40) => " (symbolic link loop)",
        _ => "",
    };
    let _ = path;
    format!("cannot read: {e}{hint}")
}

/// Bytes → text: strip a UTF-8 byte-order mark, refuse binary data and invalid UTF-8 with a position.
fn decode(bytes: &[u8]) -> Result<&str, (Pos, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err((
            position_of_byte(bytes, i),
            "binary data (a NUL byte); not a YAML or JSON manifest (UTF-16 files must be converted to UTF-8)".into(),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        (
            position_of_byte(bytes, e.valid_up_to()),
            "invalid UTF-8; manifests must be UTF-8 text".into(),
        )
    })
}

fn position_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let lines = line_spans(bytes);
    // Lines starting at or before the offset: the 1-based number of the one holding it.
    let line = lines.partition_point(|&(start, _)| start <= offset);
    let start = lines[line - 1].0;
    let col = String::from_utf8_lossy(&bytes[start..offset])
        .chars()
        .count() as u32
        + 1;
    Pos {
        line: line as u32,
        col,
    }
}

/// Where each line of `bytes` starts and ends (end exclusive, without its break), numbered as the
/// YAML parser numbers them: `\r\n`, `\n` and a lone `\r` each end a line. (`str::lines` keeps a lone
/// `\r` inside a line, which put excerpts and error positions on the wrong line:
/// testdata/fuzz/secret-excerpt-lone-cr.yaml.)
pub fn line_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push((start, i));
                start = i + 1;
            }
            b'\r' => {
                lines.push((start, i));
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push((start, bytes.len()));
    lines
}

/// Map `f` over `items` on up to `threads` threads, keeping the order of the results.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every item is processed"))
        .collect()
}

/// The path of a file for display: as given, joined.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Inputs as the user named them.
pub fn input_for(arg: &str) -> Input {
    if arg == "-" {
        Input::Stdin
    } else {
        Input::File(PathBuf::from(arg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_invalid_utf8_are_located() {
        assert_eq!(
            decode(b"a: 1\nb: \x00").unwrap_err().0,
            Pos { line: 2, col: 4 }
        );
        assert_eq!(
            decode(b"a: 1\nb: \xff").unwrap_err().0,
            Pos { line: 2, col: 4 }
        );
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1").unwrap(), "a: 1");
    }

    #[test]
    fn byte_positions_count_every_kind_of_line_break() {
        // `\n`, `\r\n` and a lone `\r` each end one line, as in the parser's positions.
        assert_eq!(position_of_byte(b"a: 1\nb: \0", 8), Pos { line: 2, col: 4 });
        assert_eq!(
            position_of_byte(b"a: 1\r\nb: \0", 9),
            Pos { line: 2, col: 4 }
        );
        assert_eq!(position_of_byte(b"a: 1\rb: \0", 8), Pos { line: 2, col: 4 });
        assert_eq!(position_of_byte(b"\0", 0), Pos { line: 1, col: 1 });
        // Columns count characters, not bytes.
        assert_eq!(
            position_of_byte("é\0".as_bytes(), 2),
            Pos { line: 1, col: 2 }
        );
        assert_eq!(
            decode(b"a: 1\rb: \xff").unwrap_err().0,
            Pos { line: 2, col: 4 }
        );
    }

    #[test]
    fn parallel_map_keeps_order() {
        let v: Vec<u32> = (0..100).collect();
        assert_eq!(
            parallel_map(&v, 4, |x| x * 2),
            v.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
    }
}
