/**
 * The recipes package entry (`tszk/recipes`): locks, semaphore, leader election, barriers,
 * queues and a shared counter, on a client from `tszk/client`.
 */
export * from '../recipes/index.js';
