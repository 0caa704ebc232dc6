namespace UcloudIm.Contracts;

/// <summary>The bulk request shape of the provider API: <c>{"items":[…]}</c>.</summary>
public sealed record BulkRequest<T>(IReadOnlyList<T> Items);

/// <summary>The bulk response shape: <c>{"responses":[…]}</c>, in the order of the request's items.</summary>
public sealed record BulkResponse<T>(IReadOnlyList<T> Responses);

/// <summary>PageV2: <c>next</c> is an opaque cursor, null on the last page.</summary>
public sealed record PageV2<T>(IReadOnlyList<T> Items, int ItemsPerPage, string? Next);

/// <summary>The wire error format. Core treats the error as structured when statusCode equals the HTTP status.</summary>
public sealed record WireError(int StatusCode, string Why, string? ErrorCode = null);

/// <summary>An empty JSON object, for endpoints that answer <c>{}</c>.</summary>
public sealed record Empty;
