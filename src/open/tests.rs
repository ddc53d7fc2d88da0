use std::io::Write;

use super::*;
use crate::entry::Entry;
use crate::generate::{BENCH_END, Generator};

fn lines(seed: u64, n: usize) -> Vec<String> {
    let mut generator = Generator::new(seed, n as u64, 24, BENCH_END);
    (0..n).map(|_| generator.next_line()).collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

/// Every block the loader sends for `paths`, until the last.
fn load(paths: Vec<PathBuf>) -> Vec<Loaded> {
    let (mut events, _control) = spawn(paths);
    let mut blocks = Vec::new();
    while let Some(event) = events.blocking_recv() {
        let PollEvent::Loaded(loaded) = event else {
            panic!("the loader sends blocks only");
        };
        let done = loaded.progress.done;
        blocks.push(*loaded);
        if done {
            break;
        }
    }
    blocks
}

fn merged(blocks: Vec<Loaded>) -> Store {
    let mut store = Store::new();
    for loaded in blocks {
        store.absorb(loaded.block);
    }
    store
}

#[test]
fn a_file_is_told_by_its_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let entry = r#"{"id": "0194f5a3-7b2c-7def-8123-000000000001", "type": "a:b"}"#;
    let cases = [
        (
            "lines.jsonl",
            format!("{entry}\n{entry}\n"),
            Kind::JsonLines,
        ),
        ("array.json", format!("  [{entry}]"), Kind::Whole),
        (
            "envelope.json",
            format!("{{\"log\": {entry}}}"),
            Kind::Whole,
        ),
        (
            "pretty.json",
            format!("{{\n  \"log\": {entry}\n}}"),
            Kind::Whole,
        ),
        (
            "truncated.jsonl",
            format!("{{\"id\": \"01\n{entry}\n"),
            Kind::JsonLines,
        ),
    ];
    for (name, text, kind) in cases {
        assert_eq!(
            kind_of(&write(dir.path(), name, &text)).unwrap(),
            kind,
            "{name}"
        );
    }
}

#[test]
fn several_files_are_merged_in_id_order_each_entry_once_and_bad_lines_are_listed_with_their_place()
{
    let dir = tempfile::tempdir().unwrap();
    let a = lines(1, 3000);
    let b = lines(2, 500);
    // The first file is cut in the middle of a line of its own, and holds a line of rubbish.
    let mut first = a[..2000].join("\n");
    first.push_str("\nnot an entry\n");
    // The second, an array, holds an element that is not an entry.
    let second = format!(
        "[{},17]",
        a[1500..]
            .iter()
            .chain(&b)
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    );
    let paths = vec![
        write(dir.path(), "a.jsonl", &first),
        write(dir.path(), "b.json", &second),
    ];
    let blocks = load(paths.clone());
    let last = blocks.last().unwrap().progress.clone();
    assert!(last.done);
    assert_eq!(last.bytes_read, last.bytes_total);
    let bad: Vec<BadLine> = blocks.iter().flat_map(|b| b.bad.clone()).collect();
    let store = merged(blocks);

    let mut expected = Store::new();
    expected.append(
        a.iter()
            .chain(&b)
            .filter_map(|l| Entry::parse(l).ok())
            .collect(),
    );
    assert_eq!(store.len(), expected.len());
    for i in 0..store.len() as u32 {
        assert_eq!(store.get(i).json_line(), expected.get(i).json_line());
    }
    // The generator truncates the 1000th line of a set: a's at line 1000 of the first file; the rubbish
    // at line 2001; the array's bad element (an array has no lines: 0).
    let places: Vec<(String, u64)> = bad
        .iter()
        .map(|b| (b.file.file_name().unwrap().to_string_lossy().into(), b.line))
        .collect();
    assert!(places.contains(&("a.jsonl".into(), 1000)), "{places:?}");
    assert!(places.contains(&("a.jsonl".into(), 2001)), "{places:?}");
    assert!(places.contains(&("b.json".into(), 0)), "{places:?}");
    assert_eq!(places.len(), 3, "{places:?}");
    assert_eq!(last.bad, bad.len() as u64);
}

#[test]
fn the_first_block_is_small_so_rows_show_before_the_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let all = lines(5, 20_000);
    let path = write(dir.path(), "big.jsonl", &(all.join("\n") + "\n"));
    let blocks = load(vec![path]);
    assert!(blocks.len() > 2, "{} blocks", blocks.len());
    let first = blocks[0].block.len();
    assert!(first > 0 && first < 2_000, "first block {first} entries");
    assert_eq!(
        blocks.iter().map(|b| b.block.len()).sum::<usize>(),
        merged(blocks).len()
    );
}

#[test]
fn a_file_read_in_parts_keeps_its_line_numbers_and_first_seen_marks() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = lines(6, 20_000);
    all[14_999] = "rubbish".into();
    let text = all.join("\n") + "\n";
    let path = write(dir.path(), "parts.jsonl", &text);
    let blocks = load(vec![path]);
    assert!(blocks.len() > 3, "{} blocks", blocks.len());
    let places: Vec<u64> = blocks
        .iter()
        .flat_map(|b| b.bad.iter().map(|bad| bad.line))
        .collect();
    // The generator's truncated 1000th line, and the rubbish at line 15,000 (in a later block).
    assert!(places.contains(&1000), "{places:?}");
    assert!(places.contains(&15_000), "{places:?}");
    let store = merged(blocks);
    let (expected, malformed) = crate::store::load::load_lines(text.as_bytes(), 1);
    assert_eq!(places.len(), malformed.len());
    assert_eq!(store.len(), expected.len());
    for i in 0..store.len() {
        assert_eq!(
            store.first_seen().flags(i),
            expected.first_seen().flags(i),
            "entry {i}"
        );
    }
}

#[test]
fn an_archive_file_is_read_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let entries: Vec<Entry> = lines(7, 2500)
        .iter()
        .filter_map(|l| Entry::parse(l).ok())
        .collect();
    {
        let mut writer = Archive::open_write(&path, "test").unwrap();
        writer.import(&entries).unwrap();
    }
    let blocks = load(vec![path]);
    assert!(blocks[0].block.len() <= FIRST_ENTRIES);
    assert!(blocks.iter().all(|b| b.bad.is_empty()));
    let store = merged(blocks);
    assert_eq!(store.len(), entries.len());
    let mut expected = Store::new();
    expected.append(entries);
    for i in (0..store.len() as u32).step_by(17) {
        assert_eq!(store.get(i).json_line(), expected.get(i).json_line());
    }
}
