//! Where a function's API requests go: the app's own tower service (in-process, no TCP) or
//! its base URL over HTTP.

use std::fmt;

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower::{BoxError, Service, ServiceExt, util::BoxCloneSyncService};

/// The largest response body a function receives from the app.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

type AppService = BoxCloneSyncService<Request<Body>, Response<Body>, BoxError>;

/// The app's API, as a function reaches it.
#[derive(Clone)]
pub(crate) enum ApiTarget {
    /// The app's router or any tower HTTP service, called in-process.
    Service(AppService),
    /// The app at `base` (like `http://127.0.0.1:8080`), over HTTP.
    BaseUrl { client: reqwest::Client, base: String },
}

impl fmt::Debug for ApiTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(_) => f.write_str("ApiTarget::Service"),
            Self::BaseUrl { base, .. } => write!(f, "ApiTarget::BaseUrl({base})"),
        }
    }
}

impl ApiTarget {
    pub(crate) fn service<S, B>(service: S) -> Self
    where
        S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let service = service.map_response(|response| response.map(Body::new)).map_err(Into::into);
        Self::Service(BoxCloneSyncService::new(service))
    }

    pub(crate) fn base_url(base: &str) -> Self {
        Self::BaseUrl {
            client: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// Sends `request` (a path-only URI) and reads the whole response, up to
    /// [`MAX_RESPONSE_BYTES`].
    pub(crate) async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        match self {
            Self::Service(service) => {
                let response = service.clone().oneshot(request.map(Body::from)).await?;
                let (parts, body) = response.into_parts();
                let body = axum::body::to_bytes(body, MAX_RESPONSE_BYTES).await?;
                Ok(Response::from_parts(parts, body))
            }
            Self::BaseUrl { client, base } => {
                let (parts, body) = request.into_parts();
                let url = format!("{base}{}", parts.uri);
                let response = client
                    .request(parts.method, url)
                    .headers(parts.headers)
                    .body(body)
                    .send()
                    .await?;
                let mut builder = Response::builder().status(response.status());
                if let Some(headers) = builder.headers_mut() {
                    headers.extend(response.headers().clone());
                }
                if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
                    return Err(too_large());
                }
                let body = response.bytes().await?;
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                Ok(builder.body(body)?)
            }
        }
    }
}

fn too_large() -> BoxError {
    format!("the response is larger than {MAX_RESPONSE_BYTES} bytes").into()
}
