/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.internal.LList;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * {@link LList#push} publishes the item's fields written before it to the consumer that takes the node with
 * {@link LList#popAll} (the memory-ordering claim in {@code LList}'s javadoc): MO-IW-5, the list under irq_work's
 * per-CPU lists, the call-single queues and the tasklets' hand-over lists.
 *
 * <pre>
 *   producer: item.x = 1; push(node)         consumer: n = popAll(); r1 = (n != null); r2 = n.item().x
 *   Forbids: r1 == true && r2 == 0
 * </pre>
 *
 * The node and its item are allocated with the state, before either actor runs, so the only thing that can
 * order the plain write of {@code x} before the consumer's plain read is the push CAS (release) paired with
 * popAll's getAndSet (acquire) on the list head.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t LList_01} (default mode, 6.5 min here; add
 * {@code -m quick} for ~20 s). Observed, all 68 configurations, JDK 17.0.15, 2 CPUs:
 * <pre>
 *      RESULT        SAMPLES     FREQ      EXPECT  DESCRIPTION
 *   false, -1  3,045,459,973   83.35%  Acceptable  popAll ran before the push: list empty, field not read
 *     true, 0              0    0.00%   Forbidden  popAll took the node but saw the field's old value
 *     true, 1    608,249,095   16.65%  Acceptable  popAll took the node and saw the field written before push
 * </pre>
 */
@JCStressTest
@Description("push() releases the item's fields to the consumer whose popAll() takes the node")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "popAll took the node and saw the field written before push")
@Outcome(id = "false, -1", expect = ACCEPTABLE, desc = "popAll ran before the push: list empty, field not read")
@Outcome(id = "true, 0", expect = FORBIDDEN, desc = "popAll took the node but saw the field's old value")
@State
public class LList_01_PushPublishes {

    static final class Item {
        int x;   // plain on purpose: published only by the push
    }

    final Item item = new Item();
    final LList.Node<Item> node = new LList.Node<>(item);
    final LList<Item> list = new LList<>();

    @Actor
    public void producer() {
        item.x = 1;
        list.push(node);
    }

    @Actor
    public void consumer(ZI_Result r) {
        LList.Node<Item> n = list.popAll();
        if (n != null) {
            r.r1 = true;
            r.r2 = n.item().x;
        } else {
            r.r1 = false;
            r.r2 = -1;
        }
    }
}
