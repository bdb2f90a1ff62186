namespace Latchkey.Accounts;

public static class PasswordRules
{
    public const int MinLength = 8;
    public const int MaxLength = 256;
    public const int Pbkdf2Iterations = 210_000;
}
