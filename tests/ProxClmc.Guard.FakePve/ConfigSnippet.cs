namespace ProxClmc.Guard.FakePve;

/// <summary>
/// The lines the fake prints for a config file: one valid <c>[api]</c> section as a whole (API token and the CA
/// file; the password login and the pinned fingerprint are alternatives, shown as comments).
/// </summary>
public static class ConfigSnippet
{
    public static string For(FakeProxmox pve) =>
        $"""
        [api]
        url = "{pve.Url}"
        token_id = "{FakeProxmox.TokenId}"
        token_secret_file = "{pve.TokenFile}"
        ca_file = "{pve.CaCertificatePath}"
        # or, instead of the token: username = "{FakeProxmox.Username}" and password_file = "{pve.PasswordFile}"
        # or, instead of ca_file: fingerprint = "{pve.Fingerprint}"

        """;
}
