"""The scheduler and dispatcher: what is due lives in the database; each process claims, sends, records.

APScheduler is only each process's ticker (`bot.dispatch.ticker`); `Dispatcher.tick` does the work and is
safe to run in any number of processes at once (see `store.dispatch` for the claims).
"""
