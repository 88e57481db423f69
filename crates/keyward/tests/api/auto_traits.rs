//! Every public handle, future and error is `Send + Sync + 'static` (futures `Send`).

use keyward::{
    Client, ClientBuilder, Decrypted, EncryptionContext, Error, MessageInfo, StreamOptions,
};

fn send_sync_static<T: Send + Sync + 'static>() {}
fn send<T: Send>(_: &T) {}

#[test]
fn handles_and_errors_cross_threads() {
    send_sync_static::<Client>();
    send_sync_static::<ClientBuilder>();
    send_sync_static::<Decrypted>();
    send_sync_static::<MessageInfo>();
    send_sync_static::<Error>();
    send_sync_static::<keyward::format::Error>();
    send_sync_static::<keyward::materials::Error>();
}

#[test]
fn client_futures_are_send() {
    let client = super::support::client();
    let context = EncryptionContext::new();
    send(&client.encrypt(b"", &context));
    send(&client.decrypt(b""));
    send(&client.decrypt_with_context(b"", &context));
    let mut out = Vec::new();
    send(&client.encrypt_stream(&b""[..], &mut out, &context, None));
    let mut out = Vec::new();
    send(&client.decrypt_stream(&b""[..], &mut out, StreamOptions::default()));
}
