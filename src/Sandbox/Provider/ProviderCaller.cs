using System.Net.Http.Headers;
using System.Text;
using UcloudIm.Sandbox.Core;

namespace UcloudIm.Sandbox.Provider;

/// <summary>The provider's answer, with how many tries and init calls it took.</summary>
public sealed record ProviderAnswer(int Status, string Body, int Attempts, int Inits);

/// <summary>
/// Calls the provider exactly as Core does: a service token, the user in UCloud-Username (standard base64),
/// and on 449 or 503 a call to integration/init (with the same header, as Core2 sends it), 500 ms of sleep
/// and a retry, at most 5 times.
/// </summary>
public sealed class ProviderCaller(HttpClient http, SandboxState state, TokenIssuer issuer, CallLog log, TimeProvider time)
{
    public const int MaxInits = 5;
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    public async Task<ProviderAnswer> InvokeAsync(string username, HttpMethod method, string operation, string? jsonBody, CancellationToken ct)
    {
        var inits = 0;
        for (var attempt = 1; ; attempt++)
        {
            var (status, body) = await SendAsync(username, method, $"/ucloud/{state.ProviderId}/{operation}", jsonBody, ct);
            if (status is not (449 or 503) || inits >= MaxInits) return new ProviderAnswer(status, body, attempt, inits);
            inits++;
            var init = System.Text.Json.JsonSerializer.Serialize(new { username });
            await SendAsync(username, HttpMethod.Post, $"/ucloud/{state.ProviderId}/integration/init", init, ct);
            await Task.Delay(RetryDelay, time, ct);
        }
    }

    /// <summary>integration/init for a user, as Core sends it when a user's requests get 449.</summary>
    public Task InitAsync(string username, CancellationToken ct) =>
        SendAsync(username, HttpMethod.Post, $"/ucloud/{state.ProviderId}/integration/init", System.Text.Json.JsonSerializer.Serialize(new { username }), ct);

    /// <summary>A call Core makes on its own behalf (no user header, no init dance).</summary>
    public async Task<ProviderAnswer> InvokeAsServiceAsync(HttpMethod method, string operation, string? jsonBody, CancellationToken ct)
    {
        var (status, body) = await SendAsync(null, method, $"/ucloud/{state.ProviderId}/{operation}", jsonBody, ct);
        return new ProviderAnswer(status, body, 1, 0);
    }

    private async Task<(int Status, string Body)> SendAsync(string? username, HttpMethod method, string path, string? jsonBody, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", issuer.ServiceToken());
        if (username is not null) request.Headers.TryAddWithoutValidation("UCloud-Username", Convert.ToBase64String(Encoding.UTF8.GetBytes(username)));
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        int status;
        string body;
        try
        {
            using var response = await http.SendAsync(request, ct);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException e)
        {
            status = 502;
            body = System.Text.Json.JsonSerializer.Serialize(new { statusCode = 502, why = $"The provider cannot be reached: {e.Message}" });
        }
        // A refusal keeps its answer (the provider's error: why, never a token), so the call log says what went wrong.
        log.Add(new LoggedCall(time.GetUtcNow().ToUnixTimeMilliseconds(), "core->provider", method.Method, path, status, username,
            status >= 400 && body.Length > 0 ? body[..Math.Min(body.Length, 500)] : null));
        return (status, body);
    }
}
