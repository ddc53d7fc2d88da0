use super::*;

fn case(name: &str, marks: &[(u128, Option<&str>)], filter: &str) -> Case {
    Case {
        name: name.to_owned(),
        marks: marks
            .iter()
            .map(|(id, note)| (Uuid::from_u128(*id), note.map(str::to_owned)))
            .collect(),
        filters: vec!["ip:185.220".to_owned(), filter.to_owned()],
        filter: filter.to_owned(),
    }
}

#[test]
fn reopening_a_case_restores_its_marks_notes_and_filters_in_either_kind_of_file() {
    for kind in [Kind::Standalone, Kind::Archive] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let saved = case(
            "kestrel",
            &[
                (1, Some("first failure")),
                (2, None),
                (3, Some("a \x1b[2J note")),
            ],
            "type:auth:*",
        );
        {
            let mut store = CaseStore::open(&path, kind).unwrap();
            assert_eq!(store.load("kestrel").unwrap(), None);
            store.save(&saved, 7).unwrap();
        }
        let store = CaseStore::open(&path, kind).unwrap();
        assert_eq!(store.load("kestrel").unwrap(), Some(saved), "{kind:?}");
        let listed = list_at(&path).unwrap();
        assert_eq!(
            listed,
            vec![CaseSummary {
                name: "kestrel".into(),
                marks: 3,
                notes: 2,
                updated: 7
            }]
        );
    }
}

#[test]
fn two_cases_in_one_store_are_separate_and_a_save_replaces_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    let mut store = CaseStore::open(&path, Kind::Standalone).unwrap();
    let a = case("a", &[(1, Some("one"))], "user:alice");
    let b = case("b", &[(2, None), (3, Some("three"))], "user:bob");
    store.save(&a, 1).unwrap();
    store.save(&b, 2).unwrap();
    let a2 = case("a", &[(4, None)], "user:alice since:1h");
    store.save(&a2, 3).unwrap();
    assert_eq!(store.load("a").unwrap(), Some(a2));
    assert_eq!(store.load("b").unwrap(), Some(b));
    let names: Vec<(String, u64)> = store
        .list()
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.marks))
        .collect();
    assert_eq!(names, vec![("a".into(), 1), ("b".into(), 2)]);
}

#[test]
fn a_damaged_store_is_named_with_what_to_do_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    let garbage = b"this is not a database, it was overwritten by something else entirely......";
    std::fs::write(&path, garbage.repeat(100)).unwrap();
    for kind in [Kind::Standalone, Kind::Archive] {
        let err = CaseStore::open(&path, kind)
            .err()
            .expect("a damaged file is refused");
        assert!(matches!(err, CaseError::Damaged { .. }), "{kind:?}: {err}");
        let text = err.to_string();
        assert!(
            text.contains("cases.sqlite") && text.contains("move it aside"),
            "{text}"
        );
    }
    assert!(matches!(list_at(&path), Err(CaseError::Damaged { .. })));
    assert_eq!(std::fs::read(&path).unwrap(), garbage.repeat(100));
}

#[test]
fn a_store_from_a_newer_auditui_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.sqlite");
    CaseStore::open(&path, Kind::Standalone).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 9")
        .unwrap();
    let err = CaseStore::open(&path, Kind::Standalone).err().unwrap();
    assert!(matches!(err, CaseError::Newer { found: 9, .. }), "{err}");
}

#[test]
fn an_archive_gains_the_case_tables_by_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.sqlite");
    {
        let mut conn = Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(crate::archive::schema::V1).unwrap();
        tx.execute_batch("PRAGMA user_version = 1").unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(list_at(&path).unwrap(), Vec::new());
    let mut store = CaseStore::open(&path, Kind::Archive).unwrap();
    store.save(&case("c", &[(9, None)], ""), 1).unwrap();
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, crate::archive::schema::SCHEMA_VERSION);
}

#[test]
fn case_names_are_safe_in_a_directory_name() {
    for good in ["kestrel", "kestrel-2026-11", "a.b_c"] {
        assert!(check_name(good).is_ok(), "{good}");
    }
    for bad in ["", ".hidden", "a/b", "a b", "x\x1b[2J", &"a".repeat(65)] {
        assert!(check_name(bad).is_err(), "{bad:?}");
    }
}
