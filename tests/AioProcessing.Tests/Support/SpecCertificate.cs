using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AioProcessing.Tests.Support;

/// <summary>
/// A self-signed certificate made for one spec, in a PFX file, and the HOCON that turns Akka.Remote's TLS on with it
/// (validation suppressed: the spec's own certificate). Disposing deletes the file.
/// </summary>
public sealed class SpecCertificate : IDisposable
{
    private const string Password = "spec-only";

    private SpecCertificate(string path)
    {
        Path = path;
        Hocon = $$"""
            akka.remote.dot-netty.tcp {
              enable-ssl = on
              ssl {
                suppress-validation = on
                certificate { path = "{{path.Replace("\\", "/", StringComparison.Ordinal)}}", password = "{{Password}}", flags = [ "exportable" ] }
              }
            }
            """;
    }

    /// <summary>The PFX file.</summary>
    public string Path { get; }

    /// <summary>HOCON for a node that speaks TLS with this certificate.</summary>
    public string Hocon { get; }

    /// <summary>Makes the certificate (for localhost, 127.0.0.1 and <paramref name="addresses"/>) and writes its file.</summary>
    public static async Task<SpecCertificate> CreateAsync(params string[] addresses)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        foreach (var address in addresses)
        {
            names.AddIpAddress(System.Net.IPAddress.Parse(address));
        }

        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"aio-tls-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, Password));
        return new SpecCertificate(path);
    }

    /// <inheritdoc />
    public void Dispose() => File.Delete(Path);
}
