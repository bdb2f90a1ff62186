using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Pages;

[IgnoreAntiforgeryToken]
public sealed class ErrorModel : LatchkeyPageModel
{
    public int Code { get; private set; }
    public string Title { get; private set; } = "";
    public string Detail { get; private set; } = "";

    public void OnGet() => Describe();

    public void OnPost() => Describe();

    /// <summary>
    /// The status comes from the failure that brought the request here (a re-executed status code or
    /// an exception), never from the query string: visited directly, /error is a page that is not there,
    /// so nobody can write 5xx lines into the logs at will.
    /// </summary>
    private void Describe()
    {
        Code = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is { OriginalStatusCode: >= 400 and <= 599 } reExecuted ? reExecuted.OriginalStatusCode
            : HttpContext.Features.Get<IExceptionHandlerFeature>() is not null ? StatusCodes.Status500InternalServerError
            : StatusCodes.Status404NotFound;
        Response.StatusCode = Code;
        (Title, Detail) = Code switch
        {
            400 => ("Bad request", "The request could not be understood."),
            401 => ("Sign in required", "Sign in to see this page."),
            403 => ("Forbidden", "You don't have permission to do that."),
            404 => ("Page not found", "This is not the web page you are looking for."),
            405 => ("Method not allowed", "This page does not accept that kind of request."),
            413 => ("Too large", "The request is larger than this server accepts."),
            415 => ("Unsupported media type", "The request body is not in a format this page accepts."),
            >= 500 => ("Something went wrong", "The server could not finish this request. It has been logged."),
            _ => ("Error", "The request could not be completed."),
        };
    }
}
