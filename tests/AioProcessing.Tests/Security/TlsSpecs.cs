using System.Net.Sockets;
using System.Security.Cryptography;
using AioProcessing.Tests.Support;
using Xunit;

namespace AioProcessing.Tests.Security;

/// <summary>
/// TLS between nodes through Akka.Remote's own SSL support, on loopback with a certificate made for the spec; and the
/// refusal to bind an address other machines can reach without TLS.
/// </summary>
public sealed class TlsSpecs
{
    [Fact(Timeout = Bounds.Spec)]
    public async Task A_coordinator_and_its_worker_talk_over_tls_and_no_plaintext_reaches_the_wire()
    {
        using var certificate = await SpecCertificate.CreateAsync();
        await using var context = await AioContext.StartAsync(new AioContextOptions { Hocon = certificate.Hocon });
        var queue = new AioQueue<string>(context: context);
        var child = new AioProcess(context, Echo, queue, "over tls");
        await child.StartAsync();
        Assert.Equal("over tls", await queue.GetAsync(Bounds.Remote));
        Assert.True(await child.JoinAsync(Bounds.Remote));

        // A plaintext client that opens the AioProcessing handshake gets no answer: the port speaks TLS first
        // (without TLS, the answer would start with the handshake's magic, AIO1).
        var port = Akka.Actor.Address.Parse(context.Address).Port!.Value;
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        byte[] hello = [37, 0, 0, 0, .. "AIO1"u8, 1, .. RandomNumberGenerator.GetBytes(32)];
        await client.GetStream().WriteAsync(hello);
        var buffer = new byte[64];
        var read = 0;
        try
        {
            read = await client.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or SocketException)
        {
        }

        Assert.DoesNotContain("AIO1", System.Text.Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
    }

    [Fact(Timeout = Bounds.Spec)]
    public async Task Binding_an_address_other_machines_reach_without_tls_is_refused_with_the_reason()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => AioContext.StartAsync(new AioContextOptions { HostName = "0.0.0.0" }));
        Assert.Contains("without TLS", refused.Message, StringComparison.Ordinal);
        Assert.Contains("allow-plaintext-remote", refused.Message, StringComparison.Ordinal);

        // Said explicitly, the plaintext bind is allowed (a private network).
        await using var allowed = await AioContext.StartAsync(new AioContextOptions { HostName = "0.0.0.0", Hocon = "aio.security.allow-plaintext-remote = on" });
        Assert.Contains("0.0.0.0", allowed.Address, StringComparison.Ordinal);
    }

    private static void Echo(AioQueue<string> queue, string text) => queue.Put(text);
}
