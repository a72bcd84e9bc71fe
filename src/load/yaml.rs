//! YAML/JSON text → [`Node`] trees, built directly from saphyr-parser events (faster than saphyr's
//! marked tree, and the one place that enforces the nesting, alias-expansion and duplicate-key limits).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::node::{Entry, Node, Pos, Scalar, ScalarType, Text, Value};
use super::scalar::resolve_plain;

/// Budgets that keep hostile input bounded in time and memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences in a document.
    pub max_depth: usize,
    /// Nodes that alias expansion may create in one file or stream (stops "billion laughs").
    pub max_alias_nodes: usize,
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_alias_nodes: 1_000_000,
            max_file_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A document read from a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based index of the document in its stream.
    pub index: usize,
    /// The root node.
    pub root: Node,
}

/// A problem reading the text, with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    /// Where it happened.
    pub pos: Pos,
    /// What happened.
    pub message: String,
}

/// Everything a stream yielded: the documents read and at most one error per document that failed.
/// A scanner error ends the stream (YAML cannot resynchronise); a limit or duplicate key only loses
/// the document it occurs in.
#[derive(Debug, Default)]
pub struct Stream {
    /// Documents read successfully, in order (empty documents are omitted).
    pub documents: Vec<Document>,
    /// Errors, in order.
    pub errors: Vec<SyntaxError>,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map(MapFrame),
}

struct MapFrame {
    entries: Vec<Entry>,
    pos: Pos,
    anchor: usize,
    key: Option<(Text, Pos, bool)>,
    seen: Option<HashSet<Text>>,
    merges: Vec<Node>,
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line() as u32,
        col: span.start.col() as u32 + 1,
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| count_nodes(&e.value)).sum(),
    }
}

fn scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Scalar {
    let forced_str = tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
    let ty = if style == ScalarStyle::Plain && !forced_str {
        resolve_plain(&text)
    } else {
        ScalarType::Str
    };
    // Copied rather than converted: the scanner's String has spare capacity that would stay
    // allocated for the life of the tree.
    Scalar {
        text: Text::new(&text),
        ty,
    }
}

/// The items of a closed mapping or sequence at their exact size; `buffer` is left empty with its
/// capacity, for the next collection.
fn take_exact<T>(buffer: &mut Vec<T>) -> Vec<T> {
    let mut exact = Vec::with_capacity(buffer.len());
    exact.append(buffer);
    exact
}

struct Builder {
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
    // Buffers for the mappings and sequences being read, reused: each closed collection is copied
    // out at its exact size, so the tree holds no growth slack and the allocator sees one
    // allocation per collection instead of a chain of reallocations.
    entry_buffers: Vec<Vec<Entry>>,
    node_buffers: Vec<Vec<Node>>,
}

impl Builder {
    fn new(limits: Limits) -> Self {
        Builder {
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
            entry_buffers: Vec::new(),
            node_buffers: Vec::new(),
        }
    }

    /// Start a new document. The alias budget is not reset: it holds for the whole stream, or a
    /// file of many documents each just under it would clone without bound (found by fuzzing,
    /// testdata/fuzz/alias-bomb-per-document.yaml).
    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.root = None;
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), SyntaxError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(SyntaxError {
                pos,
                message: format!(
                    "nesting deeper than {} levels (limit `limits.maxDepth` in .tlscheck.yaml); refusing to read this document",
                    self.limits.max_depth
                ),
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Attach a finished node to its parent (or make it the root).
    fn push(&mut self, node: Node, anchor: usize, plain_key: bool) -> Result<(), SyntaxError> {
        if anchor != 0 {
            let n = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map(map)) => match map.key.take() {
                None => {
                    let key = match node.value {
                        Value::Scalar(s) => match s.ty {
                            ScalarType::Null if s.text.is_empty() => Text::const_new("null"),
                            _ => super::intern::key(s.text),
                        },
                        _ => {
                            return Err(SyntaxError {
                                pos: node.pos,
                                message: "a mapping or sequence used as a mapping key cannot be read by kubectl"
                                    .into(),
                            });
                        }
                    };
                    map.key = Some((key, node.pos, plain_key));
                }
                Some((key, key_pos, plain)) => {
                    if plain && key == "<<" {
                        map.merges.push(node);
                        return Ok(());
                    }
                    let duplicate = match &mut map.seen {
                        Some(seen) => !seen.insert(key.clone()),
                        None => {
                            let dup = map.entries.iter().any(|e| e.key == key);
                            if !dup && map.entries.len() >= 16 {
                                let mut seen: HashSet<Text> =
                                    map.entries.iter().map(|e| e.key.clone()).collect();
                                seen.insert(key.clone());
                                map.seen = Some(seen);
                            }
                            dup
                        }
                    };
                    if duplicate {
                        return Err(SyntaxError {
                            pos: key_pos,
                            message: format!(
                                "duplicate mapping key `{key}` (kubectl rejects the document)"
                            ),
                        });
                    }
                    let mut value = node;
                    if !matches!(value.value, Value::Scalar(_)) {
                        value.pos = key_pos;
                    }
                    map.entries.push(Entry { key, value });
                }
            },
        }
        Ok(())
    }

    fn event(&mut self, ev: Event<'_>, span: &Span) -> Result<(), SyntaxError> {
        let pos = pos_of(span);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let node = Node {
                    value: Value::Scalar(scalar(text, style, tag.as_deref())),
                    pos,
                };
                self.push(node, anchor, plain)
            }
            Event::SequenceStart(anchor, _) => {
                let items = self.node_buffers.pop().unwrap_or_default();
                self.open(Frame::Seq { items, pos, anchor }, pos)
            }
            Event::MappingStart(anchor, _) => {
                let entries = self.entry_buffers.pop().unwrap_or_default();
                self.open(
                    Frame::Map(MapFrame {
                        entries,
                        pos,
                        anchor,
                        key: None,
                        seen: None,
                        merges: Vec::new(),
                    }),
                    pos,
                )
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    mut items,
                    pos,
                    anchor,
                }) => {
                    let exact = take_exact(&mut items);
                    self.node_buffers.push(items);
                    self.push(
                        Node {
                            value: Value::Seq(exact),
                            pos,
                        },
                        anchor,
                        false,
                    )
                }
                _ => Ok(()),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map(mut map)) => {
                    for merged in std::mem::take(&mut map.merges) {
                        let sources: Vec<Node> = match merged.value {
                            Value::Seq(items) => items,
                            other => vec![Node {
                                value: other,
                                pos: merged.pos,
                            }],
                        };
                        for source in sources {
                            if let Value::Map(extra) = source.value {
                                for e in extra {
                                    if !map.entries.iter().any(|x| x.key == e.key) {
                                        map.entries.push(e);
                                    }
                                }
                            }
                        }
                    }
                    let exact = take_exact(&mut map.entries);
                    self.entry_buffers.push(map.entries);
                    self.push(
                        Node {
                            value: Value::Map(exact),
                            pos: map.pos,
                        },
                        map.anchor,
                        false,
                    )
                }
                _ => Ok(()),
            },
            Event::Alias(id) => {
                let Some((node, n)) = self.anchors.get(&id) else {
                    return Err(SyntaxError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                self.alias_nodes += n;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "alias expansion exceeds {} nodes (limit `limits.maxAliasNodes` in .tlscheck.yaml); this looks like an alias bomb",
                            self.limits.max_alias_nodes
                        ),
                    });
                }
                let mut node = node.clone();
                node.pos = pos;
                self.push(node, 0, false)
            }
            _ => Ok(()),
        }
    }
}

/// Parse a YAML (or JSON) stream into documents. Never panics; errors carry positions.
pub fn parse_stream(text: &str, limits: Limits) -> Stream {
    let mut out = Stream::default();
    let mut builder = Builder::new(limits);
    let mut parser = Parser::new_from_str(text);
    let mut doc_index = 0usize;
    // Set when a document failed: skip its remaining events up to the next document.
    let mut skipping = false;
    loop {
        let (ev, span) = match parser.next_event() {
            None => break,
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                let m = e.marker();
                out.errors.push(SyntaxError {
                    pos: Pos {
                        line: m.line() as u32,
                        col: m.col() as u32 + 1,
                    },
                    message: match e.info() {
                        "recursion limit exceeded" => {
                            "nesting too deep: recursion limit exceeded".to_string()
                        }
                        info => info.to_string(),
                    },
                });
                break;
            }
        };
        match ev {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                builder.reset();
                skipping = false;
            }
            Event::DocumentEnd => {
                if let Some(root) = builder.root.take()
                    && !skipping
                    && !root.is_null()
                {
                    out.documents.push(Document {
                        index: doc_index,
                        root,
                    });
                }
                builder.reset();
                doc_index += 1;
            }
            ev if !skipping => {
                if let Err(e) = builder.event(ev, &span) {
                    out.errors.push(e);
                    skipping = true;
                    builder.reset();
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Stream {
        parse_stream(text, Limits::default())
    }

    #[test]
    fn positions_are_one_based() {
        let s = parse("a:\n  b: \"x\"\n  c: [1, 2]\n");
        let root = &s.documents[0].root;
        assert_eq!(root.locate("/a/b"), Pos { line: 2, col: 6 });
        assert_eq!(root.locate("/a/c"), Pos { line: 3, col: 3 });
        assert_eq!(root.locate("/a/c/1"), Pos { line: 3, col: 10 });
    }

    #[test]
    fn multi_document_streams_skip_empty_documents() {
        let s = parse("---\n# only a comment\n---\na: 1\n---\n---\nb: 2\n...\n");
        assert_eq!(s.documents.len(), 2);
        assert!(s.errors.is_empty());
        assert_eq!(s.documents[1].root.get("b").and_then(Node::as_i64), Some(2));
    }

    #[test]
    fn alias_budget_holds_for_the_whole_stream() {
        let limits = Limits {
            max_alias_nodes: 100,
            ..Limits::default()
        };
        // Each document expands 6 aliases of a 10-item list (66 nodes): under the budget alone,
        // over it from the second document on.
        let doc = "a: &a [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [*a, *a, *a, *a, *a, *a]\n";
        let s = parse_stream(&format!("{doc}---\n{doc}---\n{doc}"), limits);
        assert_eq!(s.documents.len(), 1);
        assert_eq!(s.errors.len(), 2);
        assert!(s.errors[0].message.contains("limits.maxAliasNodes"));
    }

    #[test]
    fn duplicate_key_loses_only_its_document() {
        let s = parse("a: 1\na: 2\n---\nb: 1\n");
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].pos, Pos { line: 2, col: 1 });
        assert_eq!(s.documents.len(), 1);
        assert!(s.documents[0].root.get("b").is_some());
    }

    #[test]
    fn duplicate_key_detected_in_large_maps() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: again\n");
        let s = parse(&text);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].pos.line, 41);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let s = parse("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
        let d = s.documents[0].root.get("d").unwrap();
        assert_eq!(d.get("x").and_then(Node::as_i64), Some(1));
        assert_eq!(d.get("y").and_then(Node::as_i64), Some(3));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, name) in "bcdefghij".chars().enumerate() {
            let prev = "abcdefghij".chars().nth(i).unwrap();
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let s = parse(&text);
        assert_eq!(s.documents.len(), 0);
        assert!(s.errors[0].message.contains("alias bomb"), "{:?}", s.errors);
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let depth = 200_000;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let s = parse(&text);
        assert_eq!(s.documents.len(), 0);
        assert!(
            s.errors[0].message.contains("nesting") || s.errors[0].message.contains("recursion")
        );
    }

    #[test]
    fn unclosed_flow_mapping_is_an_error_with_position() {
        let s = parse("a: 1\n---\nb: {c: 1\n");
        assert_eq!(s.documents.len(), 1);
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].pos.line >= 3);
    }

    #[test]
    fn json_is_read() {
        let s = parse("{\"kind\": \"Service\", \"spec\": {\"ports\": [{\"port\": 443}]}}");
        let root = &s.documents[0].root;
        assert_eq!(root.str_at(&["kind"]), Some("Service"));
        assert_eq!(root.locate("/spec/ports/0/port"), Pos { line: 1, col: 49 });
    }

    #[test]
    fn quoted_templates_stay_strings() {
        let s = parse("a: \"{{ .Values.x }}\"\nb: '0644'\nc: 0644\nd: !!str 12\n");
        let r = &s.documents[0].root;
        assert_eq!(r.str_at(&["a"]), Some("{{ .Values.x }}"));
        assert_eq!(r.str_at(&["b"]), Some("0644"));
        assert_eq!(r.get("c").and_then(Node::as_i64), Some(420));
        assert_eq!(r.str_at(&["d"]), Some("12"));
    }
}
