/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */

/**
 * Kernel-style synchronisation: {@link io.kdefer.sync.SpinLock}, {@link io.kdefer.sync.Completion},
 * {@link io.kdefer.sync.WaitQueue}, {@link io.kdefer.sync.Mutex}, {@link io.kdefer.sync.Delay#msleep}.
 *
 * <p>Every call that may sleep refuses atomic context with {@link IllegalStateException} (the kernel's
 * {@code might_sleep}). Every sleep brackets itself with {@link io.kdefer.sync.SleepAwareThread#blockBegin()} /
 * {@link io.kdefer.sync.SleepAwareThread#blockEnd}, which is how a workqueue pool learns that its worker blocks
 * and wakes another one (concurrency management).
 */
package io.kdefer.sync;
