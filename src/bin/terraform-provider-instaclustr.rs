//! `terraform-provider-instaclustr`: the Instaclustr provider plugin.

fn main() {
    std::process::exit(clusterform::protocol::serve_provider(
        "terraform-provider-instaclustr",
        clusterform::vendors::instaclustr::InstaclustrProvider::new,
    ));
}
