// The fixture and harness come from tests/Latchkey.Tests/Support (linked files).
global using ServerFixture = Latchkey.Tests.Support.ServerFixture;
