//! go-plugin's own services that Terraform expects next to the provider: the controller
//! (Shutdown), the stdio stream and the broker (both idle here).

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::pb::plugin;

pub struct Controller;

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        tracing::debug!("shutdown requested by Terraform");
        // Terraform kills the process 2 s after asking; answer first, then exit.
        tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            std::process::exit(0);
        });
        Ok(Response::new(plugin::Empty {}))
    }
}

type Idle<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Terraform opens this stream and expects it to stay open; the provider never writes to the
/// process's stdout, so nothing is ever sent.
pub struct Stdio;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = Idle<plugin::StdioData>;

    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// No provider here dials back into Terraform, so the broker only keeps its stream open.
pub struct Broker;

#[tonic::async_trait]
impl plugin::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = Idle<plugin::ConnInfo>;

    async fn start_stream(
        &self,
        _: Request<Streaming<plugin::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
