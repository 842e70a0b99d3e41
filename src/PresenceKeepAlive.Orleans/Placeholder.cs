namespace PresenceKeepAlive.Orleans;

internal interface IPing : global::Orleans.IGrainWithStringKey
{
    Task<int> PingAsync();
}
