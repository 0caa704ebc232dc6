using UcloudIm.Server.Apps;

namespace UcloudIm.Tests.Unit.Server;

public sealed class AppDomainTests
{
    [Theory]
    [InlineData("4821", "4821")]
    [InlineData("Job_42", "job-42")]
    [InlineData("--x..y--", "x-y")]
    [InlineData("___", "job")]
    [InlineData("a123456789b123456789c123456789d123456789e123", "a123456789b123456789c123456789d123456789")]
    public void A_core_job_id_becomes_one_safe_dns_label(string coreId, string label) => Assert.Equal(label, WebEndpoints.Slug(coreId));
}
