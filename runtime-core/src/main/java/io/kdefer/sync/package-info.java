/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */

/**
 * Kernel-style synchronisation: {@link io.kdefer.sync.SpinLock}, {@link io.kdefer.sync.Completion},
 * {@link io.kdefer.sync.WaitQueue}, {@link io.kdefer.sync.Mutex}, {@link io.kdefer.sync.Delay#msleep}, and the
 * {@link io.kdefer.sync.FatalSignal} that ends killable waits.
 *
 * <p>Every call that may sleep refuses atomic context with {@link IllegalStateException} (the kernel's
 * {@code might_sleep}), first, before it looks at its condition, lock or completion. Every sleep brackets itself
 * with {@link io.kdefer.sync.SleepAwareThread#blockBegin()} / {@link io.kdefer.sync.SleepAwareThread#blockEnd},
 * which is how a workqueue pool learns that its worker blocks and wakes another one (concurrency management).
 *
 * <h2>Names and signals</h2>
 * A kernel wait's suffix names the signals that end it, and the Java name carries the same suffix:
 * {@code mutex_lock_killable} is {@code lockKillable}, {@code wait_event_interruptible_timeout} is
 * {@code waitEventInterruptibleTimeout}, {@code wait_for_completion_timeout} is {@code awaitTimeout}. The plain
 * kernel names ({@code mutex_lock}, {@code wait_event}, {@code wait_for_completion}) are uninterruptible; their
 * short Java names ({@code lock()}, {@code waitEvent}, {@code await()}) were already taken by interruptible calls
 * that throw {@link InterruptedException} like the JDK's waits, so the uninterruptible ones are
 * {@code lockUninterruptible}, {@code waitEventUninterruptible}, {@code awaitUninterruptible}.
 * <pre>
 *   suffix           ended early by                      a plain interrupt meanwhile     on the early end
 *   (Uninterruptible) nothing                            stays pending (flag set again)  -
 *   Interruptible    an interrupt or a FatalSignal        ends the wait                   InterruptedException
 *   Killable         a FatalSignal only                   stays pending (flag set again)  InterruptedException
 * </pre>
 * A Java interrupt is this runtime's signal; {@link InterruptedException} is the kernel's -EINTR / -ERESTARTSYS,
 * and because it is checked, a caller cannot ignore it the way a driver ignores a return value. Every wait tries
 * its condition, lock or completion before it looks at signals, as the kernel does: one that can succeed does, and
 * an interrupt pending at that moment stays pending.
 */
package io.kdefer.sync;
