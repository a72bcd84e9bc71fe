//! Expanding the paths given on the command line into the files to lint.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::InputError;

/// One thing to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file, with the path as it should be displayed.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// Text already in memory, such as the output of `kustomize build`, with the name findings
    /// report for it.
    Bytes {
        /// The name findings report (`kustomize build .`).
        name: String,
        /// The text.
        bytes: std::sync::Arc<[u8]>,
    },
}

impl Input {
    /// The name findings report for this input.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => super::display_path(p),
            Input::Stdin => "-".into(),
            Input::Bytes { name, .. } => name.clone(),
        }
    }
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expand `paths`: files are taken as given (whatever their extension, like `kubectl -f`), directories
/// are walked recursively for `.yaml`, `.yml` and `.json` files in a stable order, skipping hidden
/// entries. Symbolic links are followed; a link back into a directory being walked is a loop and is
/// reported, as is any path that cannot be read. `excluded` filters walked entries (not explicit files).
pub fn walk(paths: &[Input], excluded: &dyn Fn(&Path) -> bool) -> (Vec<Input>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in paths {
        match input {
            Input::Stdin | Input::Bytes { .. } => files.push(input.clone()),
            Input::File(path) => match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => {
                    let mut ancestors = HashSet::new();
                    walk_dir(path, excluded, &mut ancestors, &mut files, &mut errors);
                }
                Ok(_) => files.push(input.clone()),
                Err(e) => errors.push(InputError::file(super::display_path(path), io_message(&e))),
            },
        }
    }
    (files, errors)
}

fn io_message(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(40) => "cannot read: symbolic link loop".into(),
        _ if e.kind() == std::io::ErrorKind::NotFound => {
            "no such file or directory (check the path)".into()
        }
        _ => format!("cannot read: {e}"),
    }
}

fn walk_dir(
    dir: &Path,
    excluded: &dyn Fn(&Path) -> bool,
    ancestors: &mut HashSet<PathBuf>,
    files: &mut Vec<Input>,
    errors: &mut Vec<InputError>,
) {
    let shown = super::display_path(dir);
    let canonical = match std::fs::canonicalize(dir) {
        Ok(c) => c,
        Err(e) => return errors.push(InputError::file(shown, io_message(&e))),
    };
    if !ancestors.insert(canonical.clone()) {
        return errors.push(InputError::file(
            shown,
            "symbolic link loop: this directory is already being walked; not descending again",
        ));
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        // Below `.` show `x.yaml`, not `./x.yaml`, as ruff and kubectl do.
        Ok(rd) if dir == Path::new(".") => rd
            .filter_map(Result::ok)
            .map(|e| PathBuf::from(e.file_name()))
            .collect(),
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            ancestors.remove(&canonical);
            return errors.push(InputError::file(shown, io_message(&e)));
        }
    };
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden || excluded(&path) {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk_dir(&path, excluded, ancestors, files, errors),
            Ok(_) => {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(ext)) {
                    files.push(Input::File(path));
                }
            }
            Err(e) => {
                // A dangling or looping link matters only if it looks like a manifest or a directory.
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if ext.is_empty() || EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(ext)) {
                    errors.push(InputError::file(super::display_path(&path), io_message(&e)));
                }
            }
        }
    }
    ancestors.remove(&canonical);
}
