//! Real clocks (tokio's test-util is not enabled): lower bounds and orderings only, never tight
//! upper bounds.

use std::sync::Arc;

use super::super::host_gate::foreground_marked;
use super::super::testing::TempDir;
use super::*;

fn spacer(interval: Duration) -> Spacer {
    Spacer::new(interval, Duration::from_secs(300), None)
}

async fn turn<'a>(spacer: &'a Spacer, cancel: &CancellationToken) -> Turn<'a> {
    spacer
        .wait_turn(None, Priority::Foreground, cancel)
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn slots_are_spaced_by_the_interval() {
    let interval = Duration::from_millis(100);
    let spacer = spacer(interval);
    let cancel = CancellationToken::new();
    let start = Instant::now();
    let (first, waited) = spacer
        .wait_turn(None, Priority::Foreground, &cancel)
        .await
        .unwrap();
    assert!(waited < interval);
    drop(first);
    drop(turn(&spacer, &cancel).await);
    assert!(Instant::now() - start >= interval);
    drop(turn(&spacer, &cancel).await);
    assert!(Instant::now() - start >= interval * 2);
}

#[tokio::test]
async fn the_interval_runs_from_the_answer_of_the_request_in_flight() {
    let interval = Duration::from_millis(50);
    let spacer = Arc::new(spacer(interval));
    let cancel = CancellationToken::new();
    let first = turn(&spacer, &cancel).await;
    let (s2, c2) = (spacer.clone(), cancel.clone());
    let second = tokio::spawn(async move {
        let _ = s2.wait_turn(None, Priority::Foreground, &c2).await;
        Instant::now()
    });
    // The first request takes 100 ms to be answered; the second may only start 50 ms later.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answered = Instant::now();
    drop(first);
    let started = second.await.unwrap();
    assert!(started - answered >= interval);
}

#[tokio::test]
async fn a_throttled_turn_pushes_back_everyone() {
    let spacer = spacer(Duration::ZERO);
    let cancel = CancellationToken::new();
    let start = Instant::now();
    let mut first = turn(&spacer, &cancel).await;
    first.throttled(Duration::from_millis(150));
    drop(first);
    drop(turn(&spacer, &cancel).await);
    assert!(Instant::now() - start >= Duration::from_millis(150));
    // An earlier deferral does not pull the gate forward, and a past one costs nothing.
    spacer.defer_until(start);
    let (_turn, waited) = spacer
        .wait_turn(None, Priority::Foreground, &cancel)
        .await
        .unwrap();
    assert!(waited < Duration::from_millis(150));
}

#[tokio::test]
async fn cancel_interrupts_the_wait() {
    let spacer = spacer(Duration::from_secs(3600));
    let cancel = CancellationToken::new();
    drop(turn(&spacer, &cancel).await);
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        trigger.cancel();
    });
    for priority in [Priority::Foreground, Priority::Background] {
        let result = spacer.wait_turn(None, priority, &cancel).await;
        assert!(matches!(result, Err(HttpError::Cancelled)), "{priority:?}");
    }
    // A cancelled foreground wait no longer counts as waiting.
    assert!(!spacer.foreground_is_waiting());
}

/// A background request queued first still lets a later foreground request go before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreground_requests_go_before_waiting_background_ones() {
    let spacer = Arc::new(spacer(Duration::from_millis(20)));
    let cancel = CancellationToken::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let held = turn(&spacer, &cancel).await;

    let spawn = |name: &'static str, priority: Priority| {
        let (spacer, cancel, order) = (spacer.clone(), cancel.clone(), order.clone());
        tokio::spawn(async move {
            let (turn, _) = spacer.wait_turn(None, priority, &cancel).await.unwrap();
            order.lock().unwrap().push(name);
            drop(turn);
        })
    };
    let background = [
        spawn("bg1", Priority::Background),
        spawn("bg2", Priority::Background),
    ];
    // Give the background requests time to queue; the order below holds either way.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let foreground = spawn("fg", Priority::Foreground);
    while !spacer.foreground_is_waiting() {
        tokio::task::yield_now().await;
    }
    drop(held);
    foreground.await.unwrap();
    for task in background {
        task.await.unwrap();
    }
    // The two background requests may have started in either order.
    let order = order.lock().unwrap().clone();
    assert_eq!(order.len(), 3);
    assert_eq!(order[0], "fg", "{order:?}");
}

/// The same between processes: two spacers (two clients, each with its own file handles, as two
/// processes would have) on one gate directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreground_goes_first_across_processes_too() {
    let dir = TempDir::new("priority");
    let origin = Origin::of(&reqwest::Url::parse("http://127.0.0.1:9/").unwrap()).unwrap();
    let process = || {
        Arc::new(Spacer::new(
            Duration::from_millis(20),
            Duration::from_secs(300),
            Some(HostGate::in_dir(dir.path().to_path_buf())),
        ))
    };
    let (holder, background, foreground) = (process(), process(), process());
    let cancel = CancellationToken::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (held, _) = holder
        .wait_turn(Some(&origin), Priority::Foreground, &cancel)
        .await
        .unwrap();

    let spawn = |name: &'static str, spacer: Arc<Spacer>, priority: Priority| {
        let (cancel, order, origin) = (cancel.clone(), order.clone(), origin.clone());
        tokio::spawn(async move {
            let (turn, _) = spacer
                .wait_turn(Some(&origin), priority, &cancel)
                .await
                .unwrap();
            order.lock().unwrap().push(name);
            drop(turn);
        })
    };
    let bg = spawn("bg", background, Priority::Background);
    let fg = spawn("fg", foreground, Priority::Foreground);
    // Release the holder only once the foreground request has marked itself as waiting.
    while !foreground_marked(dir.path(), &origin) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(held);
    fg.await.unwrap();
    bg.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["fg", "bg"]);
}
