use std::collections::VecDeque;
use std::sync::Arc;

use super::*;

#[derive(Debug)]
enum TestError {
    /// A 503 or a lost connection: the API may have acted.
    Unclear(&'static str),
    /// A 400: the API surely did not act.
    Refused(&'static str),
    ListDown,
}

impl Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestError::Unclear(m) | TestError::Refused(m) => f.write_str(m),
            TestError::ListDown => f.write_str("list answered HTTP 500"),
        }
    }
}

impl CreateFailure for TestError {
    fn may_have_acted(&self) -> bool {
        matches!(self, TestError::Unclear(_))
    }
}

/// What one create request does.
#[derive(Clone, Copy)]
enum Post {
    /// Creates and answers the id.
    Created,
    /// Creates, then answers 503.
    ActedThen503,
    /// Answers 503 without creating.
    Only503,
    /// Refuses (400).
    Refused,
    /// Creates two clusters (a confused API), then answers 503.
    ActedTwiceThen503,
}

/// What one listing does.
#[derive(Clone, Copy)]
enum List {
    Normal,
    Fails,
    Unavailable,
}

/// An account with clusters, answering creates and listings as scripted (the last step of a
/// script repeats).
struct Fake {
    clusters: Mutex<Vec<Listed>>,
    posts: Mutex<VecDeque<Post>>,
    lists: Mutex<VecDeque<List>>,
    post_count: Mutex<u32>,
    list_count: Mutex<u32>,
    next_id: Mutex<u32>,
}

impl Fake {
    fn new(posts: &[Post]) -> Arc<Fake> {
        Arc::new(Fake {
            clusters: Mutex::new(Vec::new()),
            posts: Mutex::new(posts.iter().copied().collect()),
            lists: Mutex::new(VecDeque::from([List::Normal])),
            post_count: Mutex::new(0),
            list_count: Mutex::new(0),
            next_id: Mutex::new(0),
        })
    }

    fn lists(self: Arc<Self>, steps: &[List]) -> Arc<Self> {
        *self.lists.lock().unwrap() = steps.iter().copied().collect();
        self
    }

    fn with(self: Arc<Self>, id: &str, name: &str, gone: bool) -> Arc<Self> {
        self.clusters.lock().unwrap().push(Listed {
            id: id.into(),
            name: name.into(),
            gone,
        });
        self
    }

    fn next<T: Copy>(queue: &Mutex<VecDeque<T>>) -> T {
        let mut q = queue.lock().unwrap();
        if q.len() > 1 {
            q.pop_front().unwrap()
        } else {
            *q.front().unwrap()
        }
    }

    fn add(&self, name: &str) -> String {
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        let id = format!("new-{n}");
        self.clusters.lock().unwrap().push(Listed {
            id: id.clone(),
            name: name.into(),
            gone: false,
        });
        id
    }

    async fn post(&self, name: &str) -> Result<String, TestError> {
        *self.post_count.lock().unwrap() += 1;
        // Lets a concurrent create run between two steps of this one.
        tokio::task::yield_now().await;
        match Fake::next(&self.posts) {
            Post::Created => Ok(self.add(name)),
            Post::ActedThen503 => {
                self.add(name);
                Err(TestError::Unclear("HTTP 503"))
            }
            Post::ActedTwiceThen503 => {
                self.add(name);
                self.add(name);
                Err(TestError::Unclear("HTTP 503"))
            }
            Post::Only503 => Err(TestError::Unclear("HTTP 503")),
            Post::Refused => Err(TestError::Refused("HTTP 400: bad node size")),
        }
    }

    async fn list(&self) -> Result<Listing, TestError> {
        *self.list_count.lock().unwrap() += 1;
        tokio::task::yield_now().await;
        match Fake::next(&self.lists) {
            List::Normal => Ok(Listing::Clusters(self.clusters.lock().unwrap().clone())),
            List::Fails => Err(TestError::ListDown),
            List::Unavailable => Ok(Listing::Unavailable(
                "the account's cluster list is not available (HTTP 404)".into(),
            )),
        }
    }

    fn posts(&self) -> u32 {
        *self.post_count.lock().unwrap()
    }

    fn listings(&self) -> u32 {
        *self.list_count.lock().unwrap()
    }

    fn named(&self, name: &str) -> usize {
        self.clusters
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.name == name && !c.gone)
            .count()
    }
}

/// A target of its own per test (the lock table is process-wide and tests run in parallel).
fn target(account: &str) -> Target {
    Target {
        settle: Duration::ZERO,
        find_hint: "the console".into(),
        ..Target::new("Test cluster", "orders", "cluster_name", account)
    }
}

async fn run(fake: &Arc<Fake>, target: &Target) -> Result<Created, ReconcileError<TestError>> {
    run_with(fake, target, &CancellationToken::new()).await
}

async fn run_with(
    fake: &Arc<Fake>,
    target: &Target,
    cancel: &CancellationToken,
) -> Result<Created, ReconcileError<TestError>> {
    let name = target.name.clone();
    create_reconciled(
        target,
        cancel,
        || fake.list(),
        || {
            let name = name.clone();
            let fake = Arc::clone(fake);
            async move { fake.post(&name).await }
        },
    )
    .await
}

#[tokio::test]
async fn a_clean_create_lists_once_and_posts_once() {
    let fake = Fake::new(&[Post::Created]).with("other", "billing", false);
    let created = run(&fake, &target("clean")).await.unwrap();
    assert_eq!(created.id, "new-1");
    assert_eq!(created.sends, 1);
    assert_eq!(created.adopted_after, None);
    assert_eq!((fake.posts(), fake.listings()), (1, 1));
}

#[tokio::test]
async fn a_cluster_created_behind_a_503_is_adopted() {
    let fake = Fake::new(&[Post::ActedThen503]);
    let created = run(&fake, &target("adopt")).await.unwrap();
    assert_eq!(created.id, "new-1");
    assert_eq!(created.adopted_after.as_deref(), Some("HTTP 503"));
    assert_eq!((fake.posts(), fake.listings()), (1, 2));
    assert_eq!(fake.named("orders"), 1);
}

#[tokio::test]
async fn a_503_that_created_nothing_is_sent_again() {
    let fake = Fake::new(&[Post::Only503, Post::Created]);
    let created = run(&fake, &target("resend")).await.unwrap();
    assert_eq!(created.id, "new-1");
    assert_eq!(created.sends, 2);
    assert_eq!(created.adopted_after, None);
    assert_eq!((fake.posts(), fake.listings()), (2, 2));
    assert_eq!(fake.named("orders"), 1);
}

#[tokio::test]
async fn resending_is_bounded_and_ends_with_the_last_error() {
    let fake = Fake::new(&[Post::Only503]);
    let t = target("bounded");
    let err = run(&fake, &t).await.unwrap_err();
    assert!(
        matches!(
            &err,
            ReconcileError::GaveUp {
                sends: 3,
                last: TestError::Unclear(_)
            }
        ),
        "{err:?}"
    );
    assert_eq!((fake.posts(), fake.listings()), (3, 4));
    let d = err.diagnostic(&t);
    assert_eq!(d.summary, "Test cluster \"orders\" could not be created");
    assert!(d
        .detail
        .contains("3 create requests got no usable answer (the last: HTTP 503)"));
    assert!(
        d.detail.contains("Check the account (the console)"),
        "{}",
        d.detail
    );
    assert!(d
        .detail
        .contains("terraform import <this resource's address> <its id>"));
    assert_eq!(d.path, Some(AttrPath::root("cluster_name")));
}

#[tokio::test]
async fn several_new_clusters_fail_naming_each_id() {
    let fake = Fake::new(&[Post::ActedTwiceThen503]);
    let t = target("several");
    let err = run(&fake, &t).await.unwrap_err();
    let ReconcileError::Several { ids, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(ids, &["new-1", "new-2"]);
    let d = err.diagnostic(&t);
    assert!(d.detail.contains("  terraform import <this resource's address> new-1\n  terraform import <this resource's address> new-2"), "{}", d.detail);
    assert!(d.detail.contains("(HTTP 503)"), "{}", d.detail);
    assert_eq!(fake.posts(), 1);
}

#[tokio::test]
async fn a_failed_second_listing_says_the_cluster_may_exist() {
    let fake = Fake::new(&[Post::ActedThen503]).lists(&[List::Normal, List::Fails]);
    let t = target("listfail");
    let err = run(&fake, &t).await.unwrap_err();
    assert!(matches!(&err, ReconcileError::Unverified { .. }), "{err:?}");
    let d = err.diagnostic(&t);
    assert_eq!(d.summary, "Test cluster \"orders\" may exist");
    assert!(
        d.detail
            .contains("listing the account's clusters failed: list answered HTTP 500"),
        "{}",
        d.detail
    );
    assert!(d.detail.contains("named \"orders\""), "{}", d.detail);
    assert!(d
        .detail
        .contains("terraform import <this resource's address> <its id>"));
    assert_eq!(fake.posts(), 1);
}

#[tokio::test]
async fn a_failed_first_listing_sends_nothing() {
    let fake = Fake::new(&[Post::Created]).lists(&[List::Fails]);
    let t = target("listbefore");
    let err = run(&fake, &t).await.unwrap_err();
    assert!(matches!(&err, ReconcileError::ListBefore(_)), "{err:?}");
    assert!(err.diagnostic(&t).detail.contains("nothing was created"));
    assert_eq!(fake.posts(), 0);
}

#[tokio::test]
async fn a_refusal_is_final_without_a_second_listing() {
    let fake = Fake::new(&[Post::Refused]);
    let err = run(&fake, &target("refused")).await.unwrap_err();
    assert!(
        matches!(&err, ReconcileError::Create(TestError::Refused(_))),
        "{err:?}"
    );
    assert_eq!((fake.posts(), fake.listings()), (1, 1));
}

#[tokio::test]
async fn a_refusal_after_an_unclear_answer_is_looked_up_too() {
    // The first request created the cluster behind its 503, the listing lagged, the second
    // request was refused (a name taken: by the first one's cluster).
    let fake = Fake::new(&[Post::Only503, Post::Refused]);
    let t = target("refused-late");
    let err = run(&fake, &t).await.unwrap_err();
    assert!(matches!(&err, ReconcileError::Create(_)), "{err:?}");
    assert_eq!((fake.posts(), fake.listings()), (2, 3));

    let fake = Fake::new(&[Post::Only503, Post::Refused]);
    let lagging = Arc::clone(&fake);
    let created = create_reconciled(
        &t,
        &CancellationToken::new(),
        || fake.list(),
        || {
            let fake = Arc::clone(&lagging);
            async move {
                let answer = fake.post("orders").await;
                if fake.posts() == 2 {
                    // What the first request did shows up only now.
                    fake.add("orders");
                }
                answer
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(created.id, "new-1");
    assert_eq!(created.sends, 2);
}

#[tokio::test]
async fn an_existing_cluster_with_the_name_stops_the_create() {
    let fake = Fake::new(&[Post::Created])
        .with("old-1", "orders", false)
        .with("dead", "orders", true);
    let t = Target {
        existing_hint: Some("Set allow_duplicate_cluster_names = true to create it anyway.".into()),
        ..target("exists")
    };
    let err = run(&fake, &t).await.unwrap_err();
    assert!(
        matches!(&err, ReconcileError::Exists { ids } if ids == &["old-1"]),
        "{err:?}"
    );
    assert_eq!(fake.posts(), 0);
    let d = err.diagnostic(&t);
    assert_eq!(d.summary, "Test cluster named \"orders\" already exists");
    assert_eq!(d.path, Some(AttrPath::root("cluster_name")));
    for needle in [
        "a cluster named \"orders\" (id old-1)",
        "  terraform import <this resource's address> old-1\n",
        "  import {\n    to = <this resource's address>\n    id = \"old-1\"\n  }",
        "Terraform shows this resource's address above this message",
        "allow_duplicate_cluster_names",
    ] {
        assert!(
            d.detail.contains(needle),
            "{needle:?} not in:\n{}",
            d.detail
        );
    }
}

#[tokio::test]
async fn several_existing_clusters_are_each_named() {
    let fake = Fake::new(&[Post::Created])
        .with("a", "orders", false)
        .with("b", "orders", false);
    let t = target("exists-several");
    let d = run(&fake, &t).await.unwrap_err().diagnostic(&t);
    assert!(
        d.detail.contains("2 clusters named \"orders\" (ids a, b)"),
        "{}",
        d.detail
    );
    assert!(d.detail.contains("terraform import <this resource's address> a\n  terraform import <this resource's address> b"));
}

#[tokio::test]
async fn gone_clusters_with_the_name_do_not_count() {
    let fake = Fake::new(&[Post::Created]).with("dead", "orders", true);
    assert_eq!(run(&fake, &target("gone")).await.unwrap().id, "new-1");
}

#[tokio::test]
async fn duplicates_allowed_creates_and_never_adopts_an_older_one() {
    let t = Target {
        refuse_existing: false,
        ..target("dupes")
    };
    let fake = Fake::new(&[Post::Created]).with("old-1", "orders", false);
    assert_eq!(run(&fake, &t).await.unwrap().id, "new-1");
    assert_eq!(fake.named("orders"), 2);

    // After a 503 the older cluster is no candidate: only the new one is adopted.
    let fake = Fake::new(&[Post::ActedThen503]).with("old-1", "orders", false);
    let created = run(&fake, &t).await.unwrap();
    assert_eq!(created.id, "new-1");
    assert!(created.adopted_after.is_some());

    // And with nothing new the create is sent again, not the older one taken.
    let fake = Fake::new(&[Post::Only503, Post::Created]).with("old-1", "orders", false);
    assert_eq!(run(&fake, &t).await.unwrap().id, "new-1");
    assert_eq!(fake.posts(), 2);
}

#[tokio::test]
async fn without_a_listing_creates_go_ahead_and_unclear_answers_may_exist() {
    let fake = Fake::new(&[Post::Created]).lists(&[List::Unavailable]);
    assert_eq!(run(&fake, &target("nolist")).await.unwrap().id, "new-1");

    let fake = Fake::new(&[Post::ActedThen503]).lists(&[List::Unavailable]);
    let t = target("nolist-unclear");
    let err = run(&fake, &t).await.unwrap_err();
    assert!(matches!(&err, ReconcileError::Unverified { .. }), "{err:?}");
    let d = err.diagnostic(&t);
    assert!(d.detail.contains("may have created the cluster, and the account's cluster list is not available (HTTP 404)"), "{}", d.detail);
    assert_eq!((fake.posts(), fake.listings()), (1, 1));

    let fake = Fake::new(&[Post::Refused]).lists(&[List::Unavailable]);
    let err = run(&fake, &target("nolist-refused")).await.unwrap_err();
    assert!(matches!(&err, ReconcileError::Create(_)), "{err:?}");
}

#[tokio::test]
async fn cancelled_before_the_create_sends_nothing() {
    let fake = Fake::new(&[Post::Created]);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = run_with(&fake, &target("cancel"), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, ReconcileError::Cancelled), "{err:?}");
    assert_eq!((fake.posts(), fake.listings()), (0, 0));
}

#[tokio::test]
async fn cancelled_after_an_unclear_answer_says_the_cluster_may_exist() {
    let fake = Fake::new(&[Post::ActedThen503]);
    let cancel = CancellationToken::new();
    let t = Target {
        settle: Duration::from_secs(3600),
        ..target("cancel-late")
    };
    let stopper = cancel.clone();
    let (result, ()) = tokio::join!(run_with(&fake, &t, &cancel), async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopper.cancel();
    });
    let err = result.unwrap_err();
    assert!(matches!(&err, ReconcileError::Unverified { .. }), "{err:?}");
    assert!(err.diagnostic(&t).summary.ends_with("may exist"));
}

#[tokio::test]
async fn waiting_for_the_name_is_cancellable() {
    let t = target("cancel-wait");
    let held = name_lock(&t.account, &t.name);
    let _turn = held.lock().await;
    let fake = Fake::new(&[Post::Created]);
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let (result, ()) = tokio::join!(run_with(&fake, &t, &cancel), async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopper.cancel();
    });
    assert!(
        matches!(result, Err(ReconcileError::Cancelled)),
        "{result:?}"
    );
    assert_eq!(fake.listings(), 0);
}

#[tokio::test]
async fn two_creates_of_one_name_do_not_both_pass_the_check() {
    let fake = Fake::new(&[Post::Created]);
    let t = target("race");
    let (first, second) = tokio::join!(run(&fake, &t), run(&fake, &t));
    let results = [first, second];
    let created = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(ReconcileError::Exists { ids }) if ids == &["new-1"]))
        .count();
    assert_eq!((created, refused), (1, 1), "{results:?}");
    assert_eq!(fake.posts(), 1);

    // Other names, or other accounts, do not wait for each other.
    assert!(!Arc::ptr_eq(
        &name_lock("race", "orders"),
        &name_lock("race", "billing")
    ));
    assert!(!Arc::ptr_eq(
        &name_lock("race", "orders"),
        &name_lock("race2", "orders")
    ));
}

#[tokio::test]
async fn concurrent_creates_of_one_account_share_the_listing_before() {
    let fake = Fake::new(&[Post::Created]);
    let names = ["a", "b", "c", "d"];
    let targets: Vec<Target> = names
        .iter()
        .map(|name| Target {
            name: name.to_string(),
            ..target("shared-listing")
        })
        .collect();
    let (a, b, c, d) = tokio::join!(
        run(&fake, &targets[0]),
        run(&fake, &targets[1]),
        run(&fake, &targets[2]),
        run(&fake, &targets[3])
    );
    assert!([a, b, c, d].iter().all(Result::is_ok));
    assert_eq!((fake.posts(), fake.listings()), (4, 1));
    // A name this process created since that listing is listed again: its cluster must show.
    let again = run(&fake, &targets[0]).await;
    assert!(
        matches!(again, Err(ReconcileError::Exists { .. })),
        "{again:?}"
    );
    assert_eq!(fake.listings(), 2);
}

#[test]
fn the_import_advice_has_the_command_and_the_block() {
    assert_eq!(
        import_advice("c-1"),
        "  terraform import <this resource's address> c-1\n\nor, with Terraform 1.5 or later, an import block:\n\n  import {\n    to = <this resource's address>\n    id = \"c-1\"\n  }"
    );
}
