//! `terraform-provider-redis`: the Redis Enterprise provider plugin.

fn main() {
    std::process::exit(clusterform::protocol::serve_provider(
        "terraform-provider-redis",
        clusterform::vendors::redis::RedisProvider::new,
    ));
}
