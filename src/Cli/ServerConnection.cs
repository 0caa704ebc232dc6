using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using UcloudIm.Configuration;
using UcloudIm.Contracts;
using UcloudIm.Hosting;
using UcloudIm.Unix;

namespace UcloudIm.Cli;

/// <summary>A failure to show the admin as is.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>The CLI's connection to the server's socket. The server admits it because the kernel says we are root.</summary>
internal sealed class ServerConnection(ImConfig config) : IDisposable
{
    private readonly HttpClient _http = new(UnixSocketHttp.CreateHandler(config.Provider.ServerSocket,
        FileStat.Of(config.Provider.IpcDirectory, followLinks: true)?.Uid))
    {
        BaseAddress = new Uri("http://ucloud-im-server"),
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) =>
        await Read(await Send(() => _http.GetAsync(path, ct)), type, ct);

    public async Task<T> PostAsync<TBody, T>(string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken ct) =>
        await Read(await Send(() => _http.PostAsJsonAsync(path, body, bodyType, ct)), type, ct);

    private async Task<HttpResponseMessage> Send(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"the server is not reachable on {config.Provider.ServerSocket} ({e.Message}); is ucloud-im-server running?");
        }
    }

    private static async Task<T> Read<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                string why;
                try { why = JsonSerializer.Deserialize(text, WireJson.Default.WireError)?.Why ?? text; }
                catch (JsonException) { why = text; }
                throw new CliException(why);
            }
            return JsonSerializer.Deserialize(text, type) ?? throw new CliException("the server sent an empty answer");
        }
    }

    public void Dispose() => _http.Dispose();
}
