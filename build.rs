//! Embeds every built-in policy file (`policies/*.yaml`) so the binary needs nothing at run time.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=policies");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("policies/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Built-in policy files: (file name, contents).\npub static BUILTIN_POLICIES: &[(&str, &str)] = &[\n",
    );
    for n in names {
        let path = dir.join(&n);
        writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("policies.rs");
    std::fs::write(dest, out).unwrap();
}
