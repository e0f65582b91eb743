//! The six gRPC services of a provider behind one `Service`, dispatched on the service name in
//! the request path (`/<package.Service>/<Method>`). tonic's own router is built on axum; this
//! keeps a web framework out of the provider binaries.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::{BoxFuture, Service};
use tonic::server::NamedService;

/// One service of the router, type-erased.
type Route = Box<dyn Fn(Request<Body>) -> BoxFuture<Response<Body>, Infallible> + Send + Sync>;

/// Routes requests to the service whose name is the first path segment; unknown services get
/// gRPC status UNIMPLEMENTED, as tonic's router answers.
#[derive(Clone)]
pub struct GrpcRoutes {
    routes: Arc<[(&'static str, Route)]>,
}

/// Collects the services; [`RoutesBuilder::build`] freezes them into [`GrpcRoutes`].
#[derive(Default)]
pub struct RoutesBuilder {
    routes: Vec<(&'static str, Route)>,
}

impl RoutesBuilder {
    pub fn add<S>(mut self, service: S) -> Self
    where
        S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let route: Route = Box::new(move |req| {
            let mut svc = service.clone();
            Box::pin(svc.call(req))
        });
        self.routes.push((S::NAME, route));
        self
    }

    pub fn build(self) -> GrpcRoutes {
        GrpcRoutes {
            routes: self.routes.into(),
        }
    }
}

impl Service<Request<Body>> for GrpcRoutes {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Response<Body>, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Generated tonic servers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let name = req
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .map(|(service, _)| service.to_owned());
        match self
            .routes
            .iter()
            .find(|(n, _)| Some(*n) == name.as_deref())
        {
            Some((_, route)) => route(req),
            None => Box::pin(async { Ok(tonic::Status::unimplemented("").into_http()) }),
        }
    }
}
