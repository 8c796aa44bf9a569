//! A TCP gate in front of a real server: closed, it refuses connections and cuts the
//! open ones, as if the server were down; opened, it forwards bytes both ways. It lets a
//! test start a service while its database is "down" without stopping the shared one.

use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// See the module documentation.
#[derive(Debug)]
pub struct Gate {
    /// Where clients connect.
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
}

impl Gate {
    /// A closed gate in front of `target`.
    pub async fn closed(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the gate");
        let addr = listener.local_addr().expect("gate address");
        let (open, state) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*state.borrow() {
                    drop(client);
                    continue;
                }
                let mut state = state.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = state.wait_for(|open| !open) => {}
                    }
                });
            }
        });
        Self { addr, open }
    }

    /// Lets connections through.
    pub fn open(&self) {
        let _ = self.open.send(true);
    }

    /// Refuses new connections and cuts the current ones.
    pub fn close(&self) {
        let _ = self.open.send(false);
    }
}
