using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Latchkey.Authorization;
using Latchkey.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Api;

/// <summary>
/// The site's token policy per kind (issue #18), for site administrators:
/// <c>GET</c>/<c>PUT /admin/token-policies</c>. A PUT changes the fields it names and keeps the
/// others; each change is in the administrator's security log and holds on every node at once.
/// </summary>
public static class TokenPolicyApi
{
    public sealed record ClassicPolicyDto(
        [property: JsonPropertyName("allowed")] bool Allowed,
        [property: JsonPropertyName("max_lifetime_days")] int? MaxLifetimeDays,
        [property: JsonPropertyName("expiry_required")] bool ExpiryRequired);

    public sealed record FineGrainedPolicyDto(
        [property: JsonPropertyName("max_lifetime_days")] int? MaxLifetimeDays);

    public sealed record PolicyDto(
        [property: JsonPropertyName("classic")] ClassicPolicyDto Classic,
        [property: JsonPropertyName("fine_grained")] FineGrainedPolicyDto FineGrained);

    public static RouteGroupBuilder MapTokenPolicyApi(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/token-policies", async (TokenPolicies policies, HttpContext context) =>
                TypedResults.Ok(ToDto(await policies.CurrentAsync(context.RequestAborted))))
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("The site's token policy per kind (classic allowed, maximum lifetimes, expiry required)");
        api.MapPut("/admin/token-policies", PutAsync)
            .Requires(SiteAdminRequirement.Instance)
            .WithSummary("Changes the site's token policy (the fields given; the others stay)");
        return api;
    }

    public static PolicyDto ToDto(TokenPolicy policy) => new(
        new ClassicPolicyDto(policy.ClassicAllowed, policy.ClassicMaxLifetimeDays, policy.ClassicExpiryRequired),
        new FineGrainedPolicyDto(policy.FineGrainedMaxLifetimeDays));

    private static async Task<Results<Ok<PolicyDto>, ApiErrorResult>> PutAsync(HttpContext context, CurrentCaller current, TokenPolicies policies)
    {
        var (body, invalid) = await ApiJson.ReadObjectAsync(context);
        if (invalid is not null)
            return invalid;
        var policy = await policies.CurrentAsync(context.RequestAborted);
        foreach (var (key, value) in body!)
        {
            switch (key)
            {
                case "classic" when value is JsonObject classic:
                    foreach (var (field, given) in classic)
                    {
                        switch (field)
                        {
                            case "allowed" when Bool(given) is { } allowed:
                                policy = policy with { ClassicAllowed = allowed };
                                break;
                            case "expiry_required" when Bool(given) is { } required:
                                policy = policy with { ClassicExpiryRequired = required };
                                break;
                            case "max_lifetime_days" when Days(given, out var days):
                                policy = policy with { ClassicMaxLifetimeDays = days };
                                break;
                            case "allowed" or "expiry_required":
                                return NotJson;
                            case "max_lifetime_days" when given is not null && !IsWholeNumber(given):
                                return NotJson;
                            case "max_lifetime_days":
                                return Invalid("classic.max_lifetime_days", "classic.max_lifetime_days must be a whole number of days from 1 to 366, or null for no limit.");
                            default:
                                return Invalid("classic." + field, $"classic.{field} is not a policy field: classic takes allowed, max_lifetime_days and expiry_required.");
                        }
                    }
                    break;
                case "fine_grained" when value is JsonObject fineGrained:
                    foreach (var (field, given) in fineGrained)
                    {
                        if (field != "max_lifetime_days")
                            return Invalid("fine_grained." + field, $"fine_grained.{field} is not a policy field: fine_grained takes max_lifetime_days.");
                        if (given is not null && !IsWholeNumber(given))
                            return NotJson;
                        if (!Days(given, out var days))
                            return Invalid("fine_grained.max_lifetime_days", "fine_grained.max_lifetime_days must be a whole number of days from 1 to 366, or null for no limit.");
                        policy = policy with { FineGrainedMaxLifetimeDays = days };
                    }
                    break;
                case "classic" or "fine_grained":
                    return NotJson;
                default:
                    return Invalid(key, $"{key} is not a policy: the body takes classic and fine_grained.");
            }
        }
        if (TokenPolicies.Validate(policy) is { } problem)
            return Invalid(problem.Field, problem.Message);
        return TypedResults.Ok(ToDto(await policies.SaveAsync(policy, current.User!, context.RequestAborted)));
    }

    /// <summary>A value of the wrong JSON type is "Problems parsing JSON" (400), as every typed API body; a value out of range is 422.</summary>
    private static ApiErrorResult NotJson => ApiErrors.Result(StatusCodes.Status400BadRequest, ApiJson.ProblemsParsingJson);

    private static bool IsWholeNumber(JsonNode node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out _);

    private static bool? Bool(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.GetValue<bool>() : null;

    /// <summary>A whole number of days, or null (no limit); range checked by <see cref="TokenPolicies.Validate"/>.</summary>
    private static bool Days(JsonNode? node, out int? days)
    {
        days = null;
        if (node is null)
            return true;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var whole))
        {
            days = whole;
            return whole is >= 1 and <= TokenPolicy.MaxDays;
        }
        return false;
    }

    private static ApiErrorResult Invalid(string field, string message) =>
        ApiErrors.Validation(new ApiErrors.FieldError("TokenPolicy", field, "invalid", message));
}
