//! `terraform-provider-cloudbasic`: the CloudBasic provider plugin.

fn main() {
    std::process::exit(clusterform::protocol::serve_provider(
        "terraform-provider-cloudbasic",
        clusterform::vendors::cloudbasic::CloudBasicProvider::new,
    ));
}
