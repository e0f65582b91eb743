// Real clocks (tokio's test-util is off): the assertions count requests, never durations.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::*;

fn quick() -> Backoff {
    Backoff {
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
        factor: 2.0,
    }
}

/// A fake API of objects that are ready once `ready` is set (or their time has come).
#[derive(Default)]
struct Api {
    ready: AtomicBool,
    lists: AtomicUsize,
    reads: AtomicUsize,
    foreground_reads: AtomicUsize,
    broken_listing: AtomicBool,
}

impl Api {
    fn lists(&self) -> usize {
        self.lists.load(Ordering::SeqCst)
    }
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

fn ctx(stop: &CancellationToken) -> Ctx {
    Ctx::new(stop, Duration::from_secs(60))
}

/// One wait on `board` for object `id`, ready when `api.ready` is set or `ready_at` passed.
async fn wait_for(
    board: &StatusBoard<String>,
    ctx: &Ctx,
    api: &Api,
    id: &str,
    ready_at: Option<Instant>,
) -> Result<String, WaitError<String>> {
    let is_ready =
        || api.ready.load(Ordering::SeqCst) || ready_at.is_some_and(|at| Instant::now() >= at);
    let ids: Vec<String> = (0..8).map(|n| format!("o{n}")).collect();
    let what = format!("object {id}");
    wait_listed(
        board,
        ctx,
        Watch {
            what: &what,
            id,
            list: || async {
                api.lists.fetch_add(1, Ordering::SeqCst);
                if api.broken_listing.load(Ordering::SeqCst) {
                    return Err("listing refused".to_string());
                }
                let status = if is_ready() { "READY" } else { "BUSY" };
                Ok(ids
                    .iter()
                    .map(|id| (id.clone(), status.to_string()))
                    .collect())
            },
            verdict: |status: Option<&String>| match status.map(String::as_str) {
                Some("BUSY") => Listed::Pending("BUSY".to_string()),
                _ => Listed::Look,
            },
            read: |priority| async move {
                api.reads.fetch_add(1, Ordering::SeqCst);
                if priority == Priority::Foreground {
                    api.foreground_reads.fetch_add(1, Ordering::SeqCst);
                }
                Ok(if is_ready() {
                    Poll::Ready(id.to_string())
                } else {
                    Poll::Pending("BUSY".to_string())
                })
            },
        },
    )
    .await
}

/// Polls every future to its end, concurrently on this task (they borrow the test's locals).
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                if let std::task::Poll::Ready(v) = future.as_mut().poll(cx) {
                    *out = Some(v);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

async fn until(condition: impl Fn() -> bool) {
    while !condition() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn a_wait_alone_polls_its_own_object() {
    let board = StatusBoard::new(Duration::ZERO).with_backoff(quick());
    let api = Api::default();
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    let ready_at = Instant::now() + Duration::from_millis(40);
    let got = wait_for(&board, &ctx, &api, "o1", Some(ready_at)).await;
    assert_eq!(got.unwrap(), "o1");
    assert_eq!(api.lists(), 0);
    assert!(api.reads() >= 2);
    assert_eq!(board.waiting(), 0);
    // What settling took is now the board's prediction.
    assert!(board.typical().unwrap() >= Duration::from_millis(40));
}

#[tokio::test]
async fn concurrent_waits_share_one_listing_and_read_once_each() {
    let board = StatusBoard::new(Duration::from_millis(10)).with_backoff(quick());
    let api = Arc::new(Api::default());
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    let waits = (0..5).map(|n| {
        let id = format!("o{n}");
        let (board, api, ctx) = (&board, &api, &ctx);
        async move { wait_for(board, ctx, api, &id, None).await }
    });
    let all = join_all(waits);
    let watcher = async {
        until(|| api.lists() >= 3).await;
        // While the listing says busy, nobody reads its own object (one that was alone at first
        // may have read once before the others joined).
        let reads_before = api.reads();
        until(|| api.lists() >= 6).await;
        assert_eq!(api.reads(), reads_before);
        api.ready.store(true, Ordering::SeqCst);
        reads_before
    };
    let (results, reads_before) = tokio::join!(all, watcher);
    assert!(results.iter().all(Result::is_ok));
    // Each wait read its object once more, in the foreground, when the listing showed it ready.
    assert_eq!(api.reads(), reads_before + 5);
    assert_eq!(api.foreground_reads.load(Ordering::SeqCst), 5);
    assert_eq!(board.waiting(), 0);
}

#[tokio::test]
async fn once_one_settled_the_others_read_at_the_typical_time_without_listing() {
    let board = StatusBoard::new(Duration::ZERO).with_backoff(quick());
    let api = Api::default();
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    let settle = Duration::from_millis(60);
    wait_for(&board, &ctx, &api, "o0", Some(Instant::now() + settle))
        .await
        .unwrap();
    let (lists, reads) = (api.lists(), api.reads());
    // Three more objects that settle as fast: the prediction is never early for them.
    let start = Instant::now();
    let waits = (1..4).map(|n| {
        let id = format!("o{n}");
        let (board, api, ctx) = (&board, &api, &ctx);
        async move { wait_for(board, ctx, api, &id, Some(start + settle)).await }
    });
    let results = join_all(waits).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(api.lists(), lists);
    assert_eq!(api.reads(), reads + 3);
}

#[tokio::test]
async fn an_early_prediction_falls_back_to_polling() {
    let board = StatusBoard::new(Duration::ZERO).with_backoff(quick());
    let api = Api::default();
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    wait_for(
        &board,
        &ctx,
        &api,
        "o0",
        Some(Instant::now() + Duration::from_millis(10)),
    )
    .await
    .unwrap();
    // This one takes far longer than the prediction: the wait goes on until it is ready.
    let later = Instant::now() + Duration::from_millis(120);
    let got = wait_for(&board, &ctx, &api, "o1", Some(later)).await;
    assert_eq!(got.unwrap(), "o1");
    assert!(Instant::now() >= later);
}

#[tokio::test]
async fn another_process_learns_the_typical_time_from_the_host_note() {
    let dir = std::env::temp_dir().join(format!("clusterform-board-note-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let note = || Some(HostNote::in_dir(&dir, "typical.note"));
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);

    // The first process: one object, which settles after about 40 ms.
    let first = StatusBoard::new(Duration::from_millis(5))
        .with_backoff(quick())
        .with_note(note());
    let api = Api::default();
    let settle = Duration::from_millis(40);
    wait_for(&first, &ctx, &api, "o0", Some(Instant::now() + settle))
        .await
        .unwrap();
    assert!(note().unwrap().read().is_some());

    // The second process has learned nothing itself: its concurrent waits read at the typical
    // time instead of listing.
    let second = StatusBoard::new(Duration::from_millis(5))
        .with_backoff(quick())
        .with_note(note());
    let api = Api::default();
    let ready_at = Instant::now() + settle;
    let waits = (1..4).map(|n| {
        let id = format!("o{n}");
        let (board, api, ctx) = (&second, &api, &ctx);
        async move { wait_for(board, ctx, api, &id, Some(ready_at)).await }
    });
    let results = join_all(waits).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(api.lists(), 0, "{} listings", api.lists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_failing_listing_sends_the_waits_to_their_own_objects() {
    let board = StatusBoard::new(Duration::from_millis(5)).with_backoff(quick());
    let api = Api::default();
    api.broken_listing.store(true, Ordering::SeqCst);
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    let ready_at = Instant::now() + Duration::from_millis(80);
    let waits = (0..3).map(|n| {
        let id = format!("o{n}");
        let (board, api, ctx) = (&board, &api, &ctx);
        async move { wait_for(board, ctx, api, &id, Some(ready_at)).await }
    });
    let results = join_all(waits).await;
    assert!(results.iter().all(Result::is_ok));
    // One failed listing is enough to stop listing for a while.
    assert!(api.lists() <= 2, "{} listings", api.lists());
}

#[tokio::test]
async fn a_cancelled_wait_stops_and_leaves_the_board() {
    let board = StatusBoard::new(Duration::ZERO).with_backoff(quick());
    let api = Api::default();
    let stop = CancellationToken::new();
    let ctx = ctx(&stop);
    let trigger = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        trigger.cancel();
    });
    let got = wait_for(&board, &ctx, &api, "o1", None).await;
    match got {
        Err(WaitError::Stopped { last, .. }) => assert_eq!(last, "BUSY"),
        other => panic!("expected a stop, got {other:?}"),
    }
    assert_eq!(board.waiting(), 0);
}

#[tokio::test]
async fn a_wait_cancelled_while_it_fetches_does_not_hold_up_the_others() {
    let board = StatusBoard::<String>::new(Duration::from_millis(5)).with_backoff(quick());
    let tokens = [(); 3].map(|_| CancellationToken::new());
    let ctxs = [ctx(&tokens[0]), ctx(&tokens[1]), ctx(&tokens[2])];
    let lists = AtomicUsize::new(0);
    let fetcher = std::sync::Mutex::new(None::<usize>);
    let ready = AtomicBool::new(false);
    // The first listing never answers; the wait that sent it is cancelled meanwhile. The
    // objects are ready once a listing answered, so the other two need one.
    let waiting = |n: usize| {
        let (lists, ready, fetcher, board, ctx) = (&lists, &ready, &fetcher, &board, &ctxs[n]);
        let id = format!("o{n}");
        async move {
            wait_listed(
                board,
                ctx,
                Watch {
                    what: &id,
                    id: &id,
                    list: || async {
                        if lists.fetch_add(1, Ordering::SeqCst) == 0 {
                            *fetcher.lock().unwrap() = Some(n);
                            std::future::pending::<()>().await;
                        }
                        ready.store(true, Ordering::SeqCst);
                        Ok::<_, String>(HashMap::from([(id.clone(), "READY".to_string())]))
                    },
                    verdict: |_: Option<&String>| Listed::Look,
                    read: |_| async {
                        Ok(if ready.load(Ordering::SeqCst) {
                            Poll::Ready(())
                        } else {
                            Poll::Pending("BUSY".to_string())
                        })
                    },
                },
            )
            .await
        }
    };
    let canceller = async {
        until(|| fetcher.lock().unwrap().is_some()).await;
        let hung = fetcher.lock().unwrap().unwrap();
        tokens[hung].cancel();
        hung
    };
    let (a, b, c, hung) = tokio::join!(waiting(0), waiting(1), waiting(2), canceller);
    for (n, result) in [a, b, c].into_iter().enumerate() {
        if n == hung {
            assert!(matches!(result, Err(WaitError::Stopped { .. })));
        } else {
            assert!(result.is_ok(), "wait {n}: {result:?}");
        }
    }
}

#[test]
fn boards_are_made_once_per_kind() {
    let boards = Boards::<String>::new(Duration::from_secs(1));
    let a = boards.board("RUNNING");
    assert!(Arc::ptr_eq(&a, &boards.board("RUNNING")));
    assert!(!Arc::ptr_eq(&a, &boards.board("deleted")));
}
