//! Two `HostGate`s on one directory open their own files, as two processes do, so the locks
//! between them are real `flock`s. Real clocks: lower bounds and orderings only.

use std::sync::Arc;

use super::super::testing::TempDir;
use super::*;

fn origin(url: &str) -> Origin {
    Origin::of(&reqwest::Url::parse(url).unwrap()).unwrap()
}

async fn turn(gate: &HostGate, origin: &Origin, interval: Duration) -> HostTurn {
    let cancel = CancellationToken::new();
    match gate
        .acquire(
            origin,
            interval,
            Duration::from_secs(300),
            Priority::Foreground,
            &|| false,
            &cancel,
        )
        .await
        .unwrap()
    {
        Acquired::Turn(turn) => turn,
        Acquired::GiveWay(_) => panic!("a foreground request never gives way"),
        Acquired::Unavailable => panic!("the gate directory is unusable"),
    }
}

#[test]
fn origins_name_scheme_host_and_port_injectively() {
    assert_eq!(
        origin("https://API.example.com/v1?x=1").stem,
        "https_api.example.com_443"
    );
    assert_eq!(
        origin("http://127.0.0.1:8080/ic").stem,
        "http_127.0.0.1_8080"
    );
    assert_eq!(origin("http://[::1]:9/").stem, "http_~5b~3a~3a1~5d_9");
    // Paths, queries and credentials do not make another origin.
    assert_eq!(
        origin("https://u:p@api.example.com:443/a"),
        origin("https://api.example.com/b")
    );
    assert_ne!(
        origin("http://a.example:1/"),
        origin("https://a.example:1/")
    );
    assert_ne!(origin("http://a.example:1/"), origin("http://a.example:2/"));
    assert_ne!(file_stem("http", "a_b", 1), file_stem("http", "a~5fb", 1));
    // Very long names are hashed, still per origin.
    let long = format!("http://{}.example/", "a".repeat(200));
    let stem = origin(&long).stem;
    assert!(
        stem.len() <= MAX_READABLE_NAME && stem.starts_with("http_h"),
        "{stem}"
    );
    assert_ne!(stem, origin(&long.replace("a.example", "b.example")).stem);
}

#[test]
fn stamps_round_trip_and_short_files_read_as_empty() {
    let at = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
    let stamp = Stamp {
        last_answer: Some(at),
        not_before: None,
    };
    assert_eq!(Stamp::decode(&stamp.encode()), stamp);
    let both = Stamp {
        last_answer: Some(at),
        not_before: Some(at + Duration::from_secs(3)),
    };
    assert_eq!(Stamp::decode(&both.encode()), both);
    assert_eq!(Stamp::decode(&[]), Stamp::default());
    assert_eq!(Stamp::decode(&[1, 2, 3]), Stamp::default());
}

#[test]
fn waits_follow_the_readers_interval_and_are_capped() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let interval = Duration::from_secs(2);
    let cap = Duration::from_secs(60);
    let answered = |ago: Duration, not_before: Option<SystemTime>| Stamp {
        last_answer: Some(now - ago),
        not_before,
    };
    assert_eq!(Stamp::default().wait(now, interval, cap), Duration::ZERO);
    assert_eq!(
        answered(Duration::from_millis(500), None).wait(now, interval, cap),
        Duration::from_millis(1500)
    );
    assert_eq!(
        answered(Duration::from_secs(5), None).wait(now, interval, cap),
        Duration::ZERO
    );
    // Each process keeps its own interval.
    assert_eq!(
        answered(Duration::from_millis(500), None).wait(now, Duration::from_secs(1), cap),
        Duration::from_millis(500)
    );
    // A 429's hold-off counts when it is the later of the two, up to the reader's cap.
    let hold = Some(now + Duration::from_secs(10));
    assert_eq!(
        answered(Duration::ZERO, hold).wait(now, interval, cap),
        Duration::from_secs(10)
    );
    assert_eq!(
        answered(Duration::ZERO, Some(now + Duration::from_secs(3600))).wait(now, interval, cap),
        cap
    );
    // An answer "in the future" (a clock stepped back) costs one interval, no more.
    let future = Stamp {
        last_answer: Some(now + Duration::from_secs(3600)),
        not_before: None,
    };
    assert_eq!(future.wait(now, interval, cap), interval);
}

#[tokio::test]
async fn a_second_process_waits_for_the_first_ones_answer_plus_its_own_interval() {
    let dir = TempDir::new("gate-spacing");
    let one = HostGate::in_dir(dir.path().to_path_buf());
    let two = Arc::new(HostGate::in_dir(dir.path().to_path_buf()));
    let api = origin("http://127.0.0.1:9/");
    let interval = Duration::from_millis(150);

    let first = turn(&one, &api, interval).await;
    let (two2, api2) = (two.clone(), api.clone());
    let second = tokio::spawn(async move {
        let turn = turn(&two2, &api2, interval).await;
        (std::time::Instant::now(), turn)
    });
    // The first request is "in flight" for 100 ms; the second may only start an interval
    // after its answer.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answered = std::time::Instant::now();
    drop(first);
    let (started, _turn) = second.await.unwrap();
    assert!(started - answered >= interval - Duration::from_millis(5));
}

#[tokio::test]
async fn other_origins_are_not_held_up() {
    let dir = TempDir::new("gate-origins");
    let one = HostGate::in_dir(dir.path().to_path_buf());
    let two = HostGate::in_dir(dir.path().to_path_buf());
    let interval = Duration::from_secs(3600);
    let _held = turn(&one, &origin("http://127.0.0.1:9/"), interval).await;
    // Would wait an hour behind the held turn if the origins shared a gate.
    let _other = turn(&two, &origin("http://127.0.0.1:10/"), interval).await;
}

#[tokio::test]
async fn a_429_holds_off_the_next_process() {
    let dir = TempDir::new("gate-429");
    let one = HostGate::in_dir(dir.path().to_path_buf());
    let two = HostGate::in_dir(dir.path().to_path_buf());
    let api = origin("http://127.0.0.1:9/");
    let interval = Duration::from_millis(10);
    let mut first = turn(&one, &api, interval).await;
    first.defer_until(SystemTime::now() + Duration::from_millis(300));
    drop(first);
    let answered = std::time::Instant::now();
    drop(turn(&two, &api, interval).await);
    assert!(answered.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn cancellation_ends_the_wait_for_a_held_gate() {
    let dir = TempDir::new("gate-cancel");
    let one = HostGate::in_dir(dir.path().to_path_buf());
    let two = HostGate::in_dir(dir.path().to_path_buf());
    let api = origin("http://127.0.0.1:9/");
    let _held = turn(&one, &api, Duration::from_secs(1)).await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        trigger.cancel();
    });
    for priority in [Priority::Foreground, Priority::Background] {
        let result = two
            .acquire(
                &api,
                Duration::from_secs(1),
                Duration::from_secs(300),
                priority,
                &|| false,
                &cancel,
            )
            .await;
        assert!(matches!(result, Err(HttpError::Cancelled)), "{priority:?}");
    }
    // The cancelled foreground wait left no mark behind.
    assert!(!foreground_marked(dir.path(), &api));
}

#[tokio::test]
async fn background_gives_way_to_a_local_foreground_request() {
    let dir = TempDir::new("gate-local-fg");
    let gate = HostGate::in_dir(dir.path().to_path_buf());
    let api = origin("http://127.0.0.1:9/");
    let result = gate
        .acquire(
            &api,
            Duration::from_millis(10),
            Duration::from_secs(300),
            Priority::Background,
            &|| true,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(matches!(result, Acquired::GiveWay(pause) if pause.is_zero()));
}

#[tokio::test]
async fn background_gives_way_to_a_foreground_request_of_another_process() {
    let dir = TempDir::new("gate-remote-fg");
    let gate = HostGate::in_dir(dir.path().to_path_buf());
    let api = origin("http://127.0.0.1:9/");
    // Another process's foreground request, waiting.
    let (_, mark_path) = paths(dir.path(), &api);
    let mark = open_rw(&mark_path).unwrap();
    mark.try_lock_shared().unwrap();
    assert!(foreground_marked(dir.path(), &api));
    let result = gate
        .acquire(
            &api,
            Duration::from_millis(10),
            Duration::from_secs(300),
            Priority::Background,
            &|| false,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(matches!(result, Acquired::GiveWay(pause) if pause == GIVE_WAY_PAUSE));
    drop(mark);
    assert!(!foreground_marked(dir.path(), &api));
}

#[test]
fn an_explicit_directory_is_created_and_a_file_in_its_place_refused() {
    let root = TempDir::new("gate-dir");
    let nested = root.path().join("a").join("b");
    prepare_dir(&nested, true).unwrap();
    assert!(nested.is_dir());
    prepare_dir(&nested, true).unwrap();
    let file = root.path().join("file");
    std::fs::write(&file, b"").unwrap();
    assert!(prepare_dir(&file, true).is_err());
}

#[cfg(unix)]
#[test]
fn a_default_directory_is_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = TempDir::new("gate-private");
    let dir = root.path().join("clusterform-x");
    prepare_dir(&dir, false).unwrap();
    assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    // One that others may write to is not used.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(prepare_dir(&dir, false).is_err());
    // Nor a symlink to a directory, which someone else may have planted.
    let link = root.path().join("link");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    assert!(prepare_dir(&link, false).is_err());
}
