//! Hot paths of every RPC, measured without extra crates: msgpack decoding and encoding of a
//! realistic `instaclustr_cluster` state, and generic planning. Run with `cargo bench`; figures
//! and the machine they came from go into BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clusterform::framework::plan::{plan, PlanInput};
use clusterform::framework::resource::{AnyResource, Provider};
use clusterform::framework::{msgpack, Private, Value};
use clusterform::vendors::instaclustr::InstaclustrProvider;

fn cluster_state(nodes: usize) -> Value {
    let node = |i: usize| {
        Value::object([
            ("id", Value::from(format!("node-{i}"))),
            ("size", Value::from("t3.small-v2")),
            ("rack", Value::from("us-west-2a")),
            ("public_address", Value::from("203.0.113.8")),
            ("private_address", Value::from(format!("10.224.0.{i}"))),
            ("status", Value::from("RUNNING")),
        ])
    };
    Value::object([
        ("id", Value::from("7c1d9c5e-9d5a-4d61-9d1f-3f1f2b0f4a11")),
        ("cluster_name", Value::from("orders_cassandra")),
        ("node_size", Value::from("t3.small-v2")),
        ("data_centre", Value::from("US_WEST_2")),
        ("sla_tier", Value::from("NON_PRODUCTION")),
        ("cluster_network", Value::from("10.224.0.0/12")),
        ("private_network_cluster", Value::from(false)),
        ("pci_compliant_cluster", Value::from(false)),
        ("wait_for_state", Value::from("RUNNING")),
        ("cluster_status", Value::from("RUNNING")),
        (
            "default_data_centre_id",
            Value::from("c06f0a5f-7632-464c-b2e5-88ca329b7423"),
        ),
        ("default_user_password", Value::from("s3cret-s3cret-s3cret")),
        ("nodes", Value::list((0..nodes).map(node))),
        (
            "cluster_provider",
            Value::map([("name", Value::from("AWS_VPC"))]),
        ),
        ("tags", Value::map([("team", Value::from("orders"))])),
        ("rack_allocation", Value::Null),
        (
            "bundle",
            Value::list([Value::object([
                ("bundle", Value::from("APACHE_CASSANDRA")),
                ("version", Value::from("4.0.1")),
                ("options", Value::map([("authnAuthz", Value::from("true"))])),
            ])]),
        ),
        ("timeouts", Value::Null),
    ])
}

/// Runs `f` for about a second and reports the mean time per call.
fn bench(name: &str, mut f: impl FnMut()) {
    for _ in 0..100 {
        f();
    }
    let budget = Duration::from_secs(1);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    let per = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{name:<44} {:>10.2} µs/op  ({n} iterations)", per / 1000.0);
}

fn main() {
    let provider = InstaclustrProvider::new();
    let resources = provider.resources();
    let cluster: &dyn AnyResource = resources[0].as_ref();
    let schema = cluster.schema();
    let ty = cluster.ty().clone();

    bench("schema: build provider + resource schemas", || {
        black_box(InstaclustrProvider::new().resources()[0].schema().version);
    });
    for nodes in [3, 30] {
        let state = cluster_state(nodes);
        let bytes = msgpack::encode(&state, &ty).expect("encodes");
        println!("state with {nodes} nodes: {} bytes of msgpack", bytes.len());
        bench(&format!("msgpack encode, {nodes} nodes"), || {
            black_box(msgpack::encode(black_box(&state), &ty).expect("encodes"));
        });
        bench(&format!("msgpack decode, {nodes} nodes"), || {
            black_box(msgpack::decode(black_box(&bytes), &ty).expect("decodes"));
        });
        let mut config = state.clone();
        if let Value::Object(f) = &mut config {
            for computed in [
                "id",
                "cluster_status",
                "default_data_centre_id",
                "default_user_password",
                "nodes",
            ] {
                f.insert(computed.to_string(), Value::Null);
            }
        }
        let private = Private::default();
        bench(&format!("plan (no change), {nodes} nodes"), || {
            let input = PlanInput {
                prior: black_box(&state),
                proposed: &state,
                config: &config,
                private: &private,
            };
            black_box(plan(schema, &input));
        });
    }
}
