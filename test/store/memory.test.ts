import { MemoryTokenStore } from '../../src/store/memory.js'
import { contractClock, runTokenStoreContract } from './contract.js'

runTokenStoreContract('MemoryTokenStore', async () => {
  const clock = contractClock()
  const store = new MemoryTokenStore({ clock: clock.now })
  return { store, clock, cleanup: () => store.close() }
})

// the contract's real-time path, for stores that take no clock
runTokenStoreContract('MemoryTokenStore, real time', async () => {
  const store = new MemoryTokenStore()
  return { store, cleanup: () => store.close() }
})
