# syntax=docker/dockerfile:1
#
# One image holding Comptoir's six binaries (the five services and comptoir-provision);
# each Deployment picks its command, e.g. ["/usr/local/bin/billing"].
#
#   docker build -t comptoir:dev .
#
# Stages: chef (toolchain + cargo-chef), planner (dependency recipe), builder
# (dependencies cooked in their own layer, then the workspace), runtime (distroless,
# non-root, the binaries and nothing else). Proto code generation is pure Rust
# (protox), so the builder needs no protoc.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

FROM chef AS planner
COPY . .
# The recipe lists manifests and the lock file only: it changes when dependencies do,
# not when sources do, so the cook layer below stays cached across code changes.
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# The same binaries in both steps, so the cooked dependencies are built with the very
# features the final build unifies.
ARG BINS="identity tenancy billing accountant-portal export comptoir-provision"
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json \
        $(for bin in ${BINS}; do printf -- '--bin %s ' "${bin}"; done)
COPY . .
RUN cargo build --release --locked \
        $(for bin in ${BINS}; do printf -- '--bin %s ' "${bin}"; done) \
    && mkdir -p /out \
    && for bin in ${BINS}; do cp "target/release/${bin}" /out/; done

# glibc, libgcc and CA certificates, no shell, no package manager, uid 65532.
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="comptoir" \
      org.opencontainers.image.description="Comptoir services: identity, tenancy, billing, accountant-portal, export, comptoir-provision" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/identity /out/tenancy /out/billing /out/accountant-portal /out/export /out/comptoir-provision /usr/local/bin/
USER 65532:65532
ENV RUST_LOG=info
# gRPC: identity, tenancy, billing, accountant-portal, export.
EXPOSE 50051 50052 50053 50054 50055
